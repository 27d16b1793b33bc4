"""`--jobs N`: workers load big repositories, and the results are exactly those of `--jobs 1`."""
from __future__ import annotations

import os
import subprocess
import sys

from readylint import parallel
from readylint.api import _Loader
from readylint.config import load_config
from readylint.inputs.files import MANIFEST_SUFFIXES, list_files

from .conftest import CORPUS, needs_shared


def _loaded(root, jobs):
    config = load_config(str(root), None, start=str(root))
    loader = _Loader(str(root), config)
    parallel.load_files(loader, list_files(str(root), ["."], []), MANIFEST_SUFFIXES, jobs)
    return loader


def _state(loader):
    return ([(o.path, o.doc_index, o.doc_line, o.ref, repr(o.data), o.data.line, o.data.kpos) for o in loader.objects],
            [(f.location, f.message) for f in loader.findings], [(n.path, n.message) for n in loader.notes],
            loader.texts, {path: [(d.index, d.line, repr(d.data)) for d in docs]
                           for path, docs in loader.documents.items()})


@needs_shared(CORPUS)
def test_workers_load_exactly_what_one_process_loads(monkeypatch):
    monkeypatch.setenv("READYLINT_PARALLEL_MIN_BYTES", "0")
    manifests = [p for p in list_files(str(CORPUS), ["."], []) if p.endswith(MANIFEST_SUFFIXES)]
    head, chunks = parallel._plan(str(CORPUS), manifests, 3)
    assert len(chunks) >= 4 and head + [p for c in chunks for p in c] == manifests
    assert _state(_loaded(CORPUS, 3)) == _state(_loaded(CORPUS, 1))


@needs_shared(CORPUS)
def test_jobs_1_and_2_write_identical_json_and_sarif(tmp_path):
    env = dict(os.environ, READYLINT_PARALLEL_MIN_BYTES="0")
    outputs = {}
    for jobs in (1, 2):
        json_out, sarif_out = tmp_path / f"{jobs}.json", tmp_path / f"{jobs}.sarif"
        proc = subprocess.run([sys.executable, "-m", "readylint", "check", ".", "--jobs", str(jobs), "--format",
                               "json", "--output", str(json_out), "--sarif-file", str(sarif_out), "--exit-zero"],
                              cwd=CORPUS, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs[jobs] = (json_out.read_bytes(), sarif_out.read_bytes())
    assert outputs[1] == outputs[2]


def test_small_repositories_load_in_process(tmp_path):
    for i in range(40):
        (tmp_path / f"cm{i}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n",
                                              encoding="utf-8")
    manifests = sorted(p.name for p in tmp_path.iterdir())
    assert parallel._plan(str(tmp_path), manifests, 2) is None  # 40 small files: a pool costs more than it saves
    assert parallel._plan(str(tmp_path), manifests[:10], 2) is None


def test_jobs_must_be_positive(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "readylint", "check", ".", "--jobs", "0"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--jobs" in proc.stderr and "Traceback" not in proc.stderr
