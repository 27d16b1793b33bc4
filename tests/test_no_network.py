"""`check` (and `rules`, `explain`, `docs --check`) never open a network connection.

A sitecustomize.py on PYTHONPATH replaces every way Python code reaches the network (socket connect,
connect_ex, sendto, getaddrinfo, gethostbyname, create_connection) with a function that writes the
attempt to a log and raises. The commands run in a subprocess on the rule fixtures, the examples and the
shared corpus; the log must stay empty. Python children (worker processes) inherit the hook through the
environment.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import CORPUS, REPO, needs_shared

SITECUSTOMIZE = '''
import os, socket, traceback

_LOG = os.environ["READYLINT_NETLOG"]


def _blocked(name):
    def attempt(*args, **kwargs):
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(f"{name}{args[1:] if name.startswith('socket.') else args!r}\\n")
            handle.write("".join(traceback.format_stack(limit=6)) + "\\n")
        raise OSError(f"network blocked by the no-network test: {name}")
    return attempt


for _name in ("connect", "connect_ex", "sendto"):
    setattr(socket.socket, _name, _blocked("socket." + _name))
for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "create_connection"):
    setattr(socket, _name, _blocked(_name))
'''


@pytest.fixture
def offline(tmp_path):
    """(environment, log path) for a subprocess whose Python code cannot reach the network."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "network.log"
    log.write_text("", encoding="utf-8")
    env = dict(os.environ, READYLINT_NETLOG=str(log),
               PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    ci_bin = REPO / ".ci" / "bin"
    if ci_bin.is_dir():  # helm and kubectl as CI has them, so chart rendering runs too
        env["PATH"] = f"{ci_bin}{os.pathsep}{env.get('PATH', '')}"
    return env, log


def readylint(env, cwd, *args):
    return subprocess.run([sys.executable, "-m", "readylint", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_hook_records_and_blocks_a_connection(offline):
    env, log = offline
    code = "import socket\ntry:\n    socket.create_connection(('example.com', 443))\nexcept OSError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "network blocked" in out.stdout
    assert log.read_text(encoding="utf-8").startswith("create_connection")


@pytest.mark.parametrize("target", ["tests/fixtures", "examples"])
def test_check_on_fixtures_and_examples_makes_no_connection(offline, target):
    env, log = offline
    proc = readylint(env, REPO, "check", target, "--format", "json", "--output", os.devnull, "--exit-zero")
    assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr[-3000:]
    assert log.read_text(encoding="utf-8") == ""


@needs_shared(CORPUS)
def test_check_on_the_corpus_makes_no_connection(offline, tmp_path):
    env, log = offline
    env["READYLINT_PARALLEL_MIN_BYTES"] = "0"  # worker processes parse, so they are proven offline too
    sarif = tmp_path / "corpus.sarif"
    proc = readylint(env, CORPUS, "check", ".", "--jobs", "2", "--format", "text", "--sarif-file", str(sarif),
                     "--exit-zero")
    assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr[-3000:]
    assert sarif.stat().st_size > 0
    assert log.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("args", [("rules",), ("rules", "--format", "json"), ("explain", "SEC001"),
                                  ("docs", "--check"), ("--version",)], ids=" ".join)
def test_catalogue_commands_make_no_connection(offline, args):
    env, log = offline
    proc = readylint(env, REPO, *args)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr[-3000:]
    assert log.read_text(encoding="utf-8") == ""
