#!/usr/bin/env python3
"""readylint performance benchmark (a script, not a test: nothing here asserts on time).

Usage:
    python3 bench/benchmark.py [--copies 1 5 20] [--jobs 1 2] [--corpus ../shared] [--repeat 3]
                               [--startup] [--checkov] [--checkov-bin PATH] [--keep]

What it does
    1. Builds one benchmark tree per ``--copies`` value with ``CORPUS/bench/make-bench-corpus OUT
       --copies N`` (CORPUS defaults to ``../shared`` next to the project root). OUT lives in a fresh
       temporary folder outside any git work tree: readylint lists files with ``git ls-files`` inside
       a work tree, and ``bench-out/`` is git-ignored, so a tree there would look empty to it.
    2. For each tree, in a fresh subprocess each time:
       (a) the parse floor, ``bench/parse_floor.py TREE``: read every .yaml/.yml file and compose every
           document with the fastest C parser installed (PyYAML + libyaml, else ruamel's CParser),
           interpreter start-up included, since readylint's time includes its own;
       (b) ``readylint check . --format json --output /dev/null --exit-zero --jobs J`` in TREE (so every
           rule runs, repository-level ones included) once per
           ``--jobs`` value (default 1 and 2; ``--format text`` when the JSON reporter is not installed).
       Each measurement is repeated ``--repeat`` times (default 3); the table shows the median wall
       time, the median CPU time (user + system, the child and what it reaped: a busy machine inflates
       wall time, far less CPU time) and the largest peak RSS seen.
    3. Prints copies, jobs, files, documents, floor wall, readylint wall and CPU, the wall ratio,
       readylint peak MB and the scaling of N copies against the smallest copy count (same --jobs),
       with the targets beside the numbers.
    ``--startup`` times ``readylint --version``, ``readylint check`` of one small manifest, a bare
    ``python3 -c 'import ruamel.yaml, click'`` (the imports no run can avoid) and ``python3 -c pass``
    (median of 5), with the ratio of the small check to the bare imports (target <= 2x).
    ``--checkov`` times checkov against readylint on the microservices-demo manifests
    when a checkov executable is found (``--checkov-bin``, else PATH); otherwise it says it skipped.
    Children run without PYTHONDONTWRITEBYTECODE, so bytecode caches are written once (by the warm-up
    run) and used, as in an installed readylint; the environment is otherwise inherited.

How time and memory are measured
    Wall time is ``time.perf_counter()`` from just before ``Popen`` to the return of ``os.wait4``.
    Peak RSS comes from the ``rusage`` that ``os.wait4(pid, 0)`` returns for that one child. Linux
    fills it with RUSAGE_BOTH of the reaped child, so ``ru_maxrss`` (KiB) is the peak of the child
    itself or of any descendant it reaped (readylint's short ``git`` calls), never of an earlier
    measurement. ``resource.getrusage(RUSAGE_CHILDREN)`` would not do: its ``ru_maxrss`` is the
    maximum over every child this script ever waited for, so a later, smaller run could not be seen.
    Commands run with the interpreter running this script (``sys.executable``), not a ``python3`` found
    on PATH: version-manager shims (pyenv) add tens of milliseconds of shell start-up to every run.

Targets (printed, never asserted): readylint <= 2x the parse floor; peak RSS <= 250 MB on one copy; N copies
<= 1.1 * N times one copy (5 copies <= 5.5x); a check of one small manifest <= 2x the bare imports;
readylint < 1/10 of checkov's time on the same file.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
DEFAULT_CORPUS = os.path.join(os.path.dirname(PROJECT), "shared")
CHECKOV_FILE = os.path.join("corpus", "microservices-demo", "release", "kubernetes-manifests.yaml")

TARGET_RATIO = 2.0
TARGET_PEAK_MB = 250.0
TARGET_SCALING_SLACK = 1.1
TARGET_CHECKOV = 0.1
TARGET_STARTUP = 2.0
SMALL_MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
"""
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


class Measurement:
    """One finished child: wall seconds, CPU seconds, peak RSS in MB, exit status, captured output."""

    def __init__(self, wall: float, peak_mb: float, status: int, stdout: str, stderr: str, cpu: float = 0.0):
        self.wall, self.peak_mb, self.status, self.cpu = wall, peak_mb, status, cpu
        self.stdout, self.stderr = stdout, stderr


def measure(cmd: list[str], cwd: str | None = None) -> Measurement:
    """Run ``cmd`` once in a fresh process; time it and read its own peak RSS from wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=CHILD_ENV)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        err.seek(0)
        errors = err.read().decode("utf-8", "replace")
    return Measurement(wall, usage.ru_maxrss / 1024.0, proc.returncode, text, errors,
                       usage.ru_utime + usage.ru_stime)


def repeated(cmd: list[str], times: int, cwd: str | None = None) -> tuple[float, float, Measurement]:
    """Median wall time, maximum peak MB and the last measurement (its ``cpu`` the median CPU time)."""
    runs = [measure(cmd, cwd) for _ in range(times)]
    bad = [r for r in runs if r.status != 0]
    if bad:
        tail = "\n".join(bad[0].stderr.strip().splitlines()[-8:])
        raise SystemExit(f"benchmark: {' '.join(cmd)} exited {bad[0].status}:\n{tail}")
    runs[-1].cpu = statistics.median(r.cpu for r in runs)
    return statistics.median(r.wall for r in runs), max(r.peak_mb for r in runs), runs[-1]


def readylint_cmd() -> list[str]:
    """The readylint console script beside this interpreter, else ``python -m readylint``."""
    script = os.path.join(os.path.dirname(sys.executable), "readylint")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "readylint"]


def report_format() -> str:
    """json when the JSON reporter is installed (it is being written alongside), else text."""
    try:
        found = importlib.util.find_spec("readylint.reporters.json_report") is not None
    except ImportError:
        found = False
    return "json" if found else "text"


def check_cmd(target: str, fmt: str, jobs: int | None = None) -> list[str]:
    cmd = readylint_cmd() + ["check", target, "--format", fmt, "--output", os.devnull, "--exit-zero"]
    return cmd + (["--jobs", str(jobs)] if jobs is not None else [])


def build_tree(corpus: str, out: str, copies: int) -> None:
    maker = os.path.join(corpus, "bench", "make-bench-corpus")
    if not os.path.isfile(maker):
        raise SystemExit(f"benchmark: {maker} not found (use --corpus to point at the shared folder)")
    subprocess.run([sys.executable, maker, out, "--copies", str(copies)], check=True,
                   stdout=subprocess.DEVNULL)


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def bench_trees(args, workdir: str) -> None:
    fmt = report_format()
    print(f"readylint: {' '.join(readylint_cmd())}   report format: {fmt}   repeats: {args.repeat} (median wall)")
    rows = []
    for copies in args.copies:
        tree = os.path.join(workdir, f"copies-{copies}")
        build_tree(args.corpus, tree, copies)
        # Warm the page cache so neither side pays for the first read of the tree.
        measure([sys.executable, os.path.join(HERE, "parse_floor.py"), tree])
        floor_wall, floor_mb, floor_run = repeated(
            [sys.executable, os.path.join(HERE, "parse_floor.py"), tree], args.repeat)
        counts = json.loads(floor_run.stdout.strip().splitlines()[-1])
        # Warm up readylint too (bytecode caches, page cache), then measure each --jobs value.
        # `check .` inside the tree: the tree is the repository root (outside any git work tree, so it is
        # walked as a folder), so repository-level rules run too and every rule is on.
        measure(check_cmd(".", fmt, args.jobs[0]), cwd=tree)
        for jobs in args.jobs:
            rl_wall, rl_mb, last = repeated(check_cmd(".", fmt, jobs), args.repeat, cwd=tree)
            rows.append({"copies": copies, "jobs": jobs, "files": counts["files"],
                         "documents": counts["documents"], "parser": counts["parser"], "floor": floor_wall,
                         "floor_mb": floor_mb, "readylint": rl_wall, "cpu": last.cpu, "peak": rl_mb})
            print(f"  measured {copies} cop{'y' if copies == 1 else 'ies'} --jobs {jobs}: floor {floor_wall:.3f} s, "
                  f"readylint {rl_wall:.3f} s (cpu {last.cpu:.3f} s)", flush=True)

    print()
    print(f"parse floor parser: {rows[0]['parser']}")
    header = (f"{'copies':>6} {'jobs':>4} {'files':>6} {'docs':>6} {'floor s':>8} {'readylint s':>11} {'cpu s':>7} "
              f"{'ratio':>6} {'(<=2x)':>7} {'peak MB':>8} {'(<=250)':>8} {'scaling':>8} {'target':>8}")
    print(header)
    print("-" * len(header))
    for row in rows:
        base = next(r for r in rows if r["jobs"] == row["jobs"])  # the smallest copy count, same --jobs
        ratio = row["readylint"] / row["floor"]
        factor = row["copies"] / base["copies"]
        scaling = row["readylint"] / base["readylint"]
        target = factor * TARGET_SCALING_SLACK
        scaling_txt = f"{scaling:.2f}x" if row is not base else "1.00x"
        target_txt = f"<={target:.1f}x {mark(scaling <= target)}" if row is not base else "-"
        print(f"{row['copies']:>6} {row['jobs']:>4} {row['files']:>6} {row['documents']:>6} {row['floor']:>8.3f} "
              f"{row['readylint']:>11.3f} {row['cpu']:>7.3f} {ratio:>6.2f} {mark(ratio <= TARGET_RATIO):>7} "
              f"{row['peak']:>8.1f} {(mark(row['peak'] <= TARGET_PEAK_MB) if row['copies'] == 1 else '-'):>8} "
              f"{scaling_txt:>8} {target_txt:>8}")
    print("scaling = readylint wall of this row / readylint wall of the smallest copy count with the same --jobs "
          f"(target: copies ratio x {TARGET_SCALING_SLACK})")
    first = rows[0]
    for row in rows:
        if row["jobs"] == first["jobs"] and row["copies"] != first["copies"]:
            print(f"  floor scaling {first['copies']} -> {row['copies']} copies: {row['floor'] / first['floor']:.2f}x")


def bench_startup(workdir: str) -> None:
    print()
    print("start-up (median of 5, after one warm-up run each):")
    small = os.path.join(workdir, "small", "deploy.yaml")
    os.makedirs(os.path.dirname(small), exist_ok=True)
    with open(small, "w", encoding="utf-8") as handle:
        handle.write(SMALL_MANIFEST)
    times = {}
    for label, cmd in (("readylint --version", readylint_cmd() + ["--version"]),
                       ("readylint check deploy.yaml (one small manifest)",
                        readylint_cmd() + ["check", "deploy.yaml", "--format", "text", "--output", os.devnull,
                                           "--exit-zero"]),
                       ("python3 -c 'import ruamel.yaml, click'",
                        [sys.executable, "-c", "import ruamel.yaml, click"]),
                       ("python3 -c pass", [sys.executable, "-c", "pass"])):
        measure(cmd, cwd=os.path.dirname(small))
        wall, peak, _ = repeated(cmd, 5, cwd=os.path.dirname(small))
        times[label] = wall
        print(f"  {label:<50} {wall * 1000:8.1f} ms   peak {peak:6.1f} MB")
    ratio = times["readylint check deploy.yaml (one small manifest)"] / times["python3 -c 'import ruamel.yaml, click'"]
    print(f"  small check / bare imports = {ratio:.2f} (target <= {TARGET_STARTUP:.0f}x) "
          f"{mark(ratio <= TARGET_STARTUP)}")


def bench_checkov(args, workdir: str) -> None:
    print()
    target = os.path.join(args.corpus, CHECKOV_FILE)
    checkov = args.checkov_bin or shutil.which("checkov")
    if not checkov or not os.path.isfile(checkov):
        print("checkov comparison: skipped (no checkov executable; pass --checkov-bin or put it on PATH)")
        return
    if not os.path.isfile(target):
        print(f"checkov comparison: skipped ({target} not found)")
        return
    repeat = args.repeat
    # checkov exits 1 when it finds something; that is a result, not a failure, so accept any status.
    runs = [measure([checkov, "-f", target, "--framework", "kubernetes", "--quiet", "--compact"], cwd=workdir)
            for _ in range(repeat)]
    ck_wall = statistics.median(r.wall for r in runs)
    ck_peak = max(r.peak_mb for r in runs)
    rl_wall, rl_peak, _ = repeated(check_cmd(target, report_format()), repeat, cwd=workdir)
    ratio = rl_wall / ck_wall
    print(f"checkov comparison on {CHECKOV_FILE} (median of {repeat}):")
    print(f"  checkov   {ck_wall:8.3f} s   peak {ck_peak:7.1f} MB   ({checkov})")
    print(f"  readylint {rl_wall:8.3f} s   peak {rl_peak:7.1f} MB")
    print(f"  readylint / checkov = {ratio:.3f} (target < {TARGET_CHECKOV}) {mark(ratio < TARGET_CHECKOV)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, nargs="+", default=[1, 5], help="copy counts to build (default: 1 5)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="readylint --jobs values (default: 1 2)")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="the shared folder holding bench/ and corpus/")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    ap.add_argument("--startup", action="store_true", help="also time start-up of readylint and bare imports")
    ap.add_argument("--checkov", action="store_true", help="also compare with checkov on one manifest file")
    ap.add_argument("--checkov-bin", metavar="PATH", help="checkov executable (e.g. /tmp/checkov-venv/bin/checkov)")
    ap.add_argument("--keep", action="store_true", help="keep the generated trees and print where they are")
    args = ap.parse_args(argv)
    args.corpus = os.path.abspath(args.corpus)
    if args.checkov_bin:
        args.checkov = True
    args.copies = sorted(set(args.copies))
    if args.copies[0] < 1:
        ap.error("--copies values must be at least 1")
    args.jobs = sorted(set(args.jobs))
    if args.jobs[0] < 1:
        ap.error("--jobs values must be at least 1")

    workdir = tempfile.mkdtemp(prefix="readylint-bench-")
    try:
        bench_trees(args, workdir)
        if args.startup:
            bench_startup(workdir)
        if args.checkov:
            bench_checkov(args, workdir)
    finally:
        if args.keep:
            print(f"\ntrees kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
