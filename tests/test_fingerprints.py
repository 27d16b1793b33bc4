"""primaryLocationLineHash against codeql-action's vectors, and readylint/v1 stability (integrations.md S11)."""
from __future__ import annotations

import pytest

from readylint.fingerprints import LineHashCache, line_hash, line_hashes

from .helpers import lint

LOREM = "Lorem ipsum dolor sit amet.\n" * 10


@pytest.mark.parametrize("text, expected", [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (LOREM, [f"a7f2ff13bc495cf2:{i}" for i in range(1, 7)]
     + ["a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1", "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1",
        "c129715d7a2bc9a3:1"]),
], ids=["empty", "whitespace", "lorem"])
def test_codeql_action_vectors(text, expected):
    assert line_hashes(text) == expected


def test_crlf_file_hashes_like_lf_file():
    assert line_hashes(LOREM.replace("\n", "\r\n")) == line_hashes(LOREM)
    assert line_hashes(" a\r\nb\r\n  \t\tc\r\n d") == line_hashes(" a\nb\n  \t\tc\n d")


def test_lone_cr_counts_as_a_line_break():
    assert line_hashes("a\rb\r") == line_hashes("a\nb\n")


def test_spaces_and_tabs_do_not_change_hashes():
    assert line_hashes(LOREM.replace(" ", "")) == line_hashes(LOREM)
    assert line_hashes("key:\tvalue\n  - item\n") == line_hashes("key:value\n-item\n")


def test_characters_outside_the_bmp_are_two_units():
    # U+1F600 is the surrogate pair D83D DE00; hashing the pair as one unit would differ
    assert line_hashes("\U0001F600\n") != line_hashes("\uFFFF\n")
    assert len(line_hashes("\U0001F600 x\ny\n")) == 3


def test_line_hash_and_cache_pick_the_start_line():
    assert line_hash(LOREM, 7) == "a7f2ff1481e87703:1"
    assert line_hash(LOREM, 12) is None
    loads = []
    cache = LineHashCache(lambda path: loads.append(path) or (LOREM if path == "a.yaml" else None))
    assert cache.get("a.yaml", 1) == "a7f2ff13bc495cf2:1"
    assert cache.get("a.yaml", 8) == "a9cf91f7bbf1862b:1"
    assert cache.get("<stdin>", 1) is None
    assert loads == ["a.yaml", "<stdin>"]  # each file read and hashed once


DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {{app: api}}
  template:
    metadata:
      labels: {{app: api}}
    spec:
      containers:
{containers}"""
CONTAINERS = ["        - name: api\n          image: registry.example.com/api:1.0\n",
              "        - name: sidecar\n          image: registry.example.com/proxy:2.0\n"]
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata: {a: b}\n---\n"


def _fingerprints(tmp_path, text):
    (tmp_path / "deploy.yaml").write_text(text, encoding="utf-8")
    report = lint(tmp_path, select=["HA001"])
    return [(f.location.line, f.fingerprint) for f in report.findings if f.code == "HA001"]


def test_readylint_v1_survives_moves_and_reorders_but_not_renames(tmp_path):
    original = _fingerprints(tmp_path, DEPLOY.format(name="api", containers="".join(CONTAINERS)))
    moved = _fingerprints(tmp_path, CONFIGMAP + DEPLOY.format(name="api", containers="".join(CONTAINERS)))
    reordered = _fingerprints(tmp_path, DEPLOY.format(name="api", containers="".join(reversed(CONTAINERS))))
    renamed = _fingerprints(tmp_path, DEPLOY.format(name="web", containers="".join(CONTAINERS)))
    assert len(original) == 1
    assert moved[0][0] != original[0][0]  # the line moved ...
    assert moved[0][1] == original[0][1]  # ... the fingerprint did not
    assert reordered[0][1] == original[0][1]
    assert renamed[0][1] != original[0][1]
