"""The `readylint snapshot github` command: token from the environment, branches from the config, exit codes.

Exit 0 when the snapshot was written, 2 with one line on stderr for every user-facing failure (no token,
bad token, rate limit, network, PyGithub missing). The token is read from GITHUB_TOKEN only and never
echoed.
"""
from __future__ import annotations

import importlib.util
import os

import click

from ..config import ConfigError, load_config
from ..inputs.files import find_root


def run_snapshot(full_name: str, branches, out: str | None, api_url: str | None, config: str | None) -> int:
    from .snapshot import DEFAULT_API_URL, DEFAULT_OUT, SnapshotError, summary, take, write

    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        click.echo("readylint: error: GITHUB_TOKEN is not set: export a token that can read the repository "
                   "(fine-grained: Metadata, Administration, Actions and Contents read)", err=True)
        return 2
    if importlib.util.find_spec("github") is None:  # PyGithub comes with the optional `github` extra
        click.echo("readylint: error: `snapshot github` needs PyGithub: pip install 'readylint[github]'", err=True)
        return 2
    try:
        root = find_root(os.getcwd())
        settings = load_config(root, config)
        globs = [str(g) for g in settings.section("github").get("branches", [])]
        target = out or os.path.join(root, DEFAULT_OUT)
        document = take(full_name, token, branches=list(branches), globs=globs,
                        api_url=api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL)
        write(document, target)
    except (SnapshotError, ConfigError) as exc:
        click.echo(f"readylint: error: {exc}", err=True)
        return 2
    for line in summary(document):
        click.echo(f"readylint: {line}", err=True)
    click.echo(f"readylint: wrote {os.path.relpath(target)}", err=True)
    return 0
