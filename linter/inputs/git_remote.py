"""The ``origin`` remote of a checkout, read from its git config file: no git call, nothing executed.

GitOps rules compare Application sources with this repository, and the GitHub settings rules check that a
snapshot belongs to it; both ask which URL ``origin`` has.
"""
from __future__ import annotations

import os


def origin_url(root: str) -> str:
    """``remote "origin"`` url of the checkout at ROOT (worktrees and submodules included), or "".

    Read afresh on each call (a rule asks once per run): a cache would outlive an edited config."""
    import configparser  # read only when a rule asks

    git = os.path.join(root, ".git")
    if os.path.isfile(git):  # worktree or submodule: "gitdir: <path>"
        try:
            with open(git, encoding="utf-8") as handle:
                pointer = handle.read().strip()
        except OSError:
            return ""
        git = os.path.join(root, pointer.removeprefix("gitdir:").strip())
        common = os.path.join(git, "commondir")
        if os.path.isfile(common):
            with open(common, encoding="utf-8") as handle:
                git = os.path.join(git, handle.read().strip())
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read(os.path.join(git, "config"), encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return ""
    return parser.get('remote "origin"', "url", fallback="")
