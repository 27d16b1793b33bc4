"""Running readylint on a fixture tree and normalising findings for snapshot comparison."""
from __future__ import annotations

import pathlib

from readylint.api import RunOptions, run


def lint(root: pathlib.Path, select=None, **extra):
    """Run readylint with ``root`` as the repository root (fixtures are not git repositories)."""
    return run(RunOptions(paths=["."], cwd=str(root), root=str(root), select=list(select or []), **extra))


def normalise(findings) -> str:
    """One line per finding: `CODE path:line:col message`, the form expected.txt holds."""
    return "".join(f"{f.code} {f.location.path}:{f.location.line}:{f.location.col} {f.message}\n"
                   for f in findings)
