"""Running readylint on a fixture tree and normalising findings for snapshot comparison."""
from __future__ import annotations

import datetime
import pathlib

from readylint.api import RunOptions, run

FIXTURE_TODAY = datetime.date(2026, 11, 29)  # date-dependent rules judge fixtures on a fixed day


def lint(root: pathlib.Path, select=None, **extra):
    """Run readylint with ``root`` as the repository root (fixtures are not git repositories)."""
    extra.setdefault("today", FIXTURE_TODAY)
    return run(RunOptions(paths=["."], cwd=str(root), root=str(root), select=list(select or []), **extra))


def normalise(findings) -> str:
    """One line per finding: `CODE path:line:col message`, the form expected.txt holds."""
    return "".join(f"{f.code} {f.location.path}:{f.location.line}:{f.location.col} {f.message}\n"
                   for f in findings)


def judge_everything(tmp_path: pathlib.Path) -> str:
    """A config that judges every manifest, examples and tests included (by default they are context only)."""
    config = tmp_path / "judge-everything.readylint.yaml"
    config.write_text("inputs:\n  manifests:\n    - path: '**'\n", encoding="utf-8")
    return str(config)
