"""`readylint check`: run, render the chosen formats, and turn every user mistake into exit 2."""
from __future__ import annotations

import os
import sys

import click

from ..config import ConfigError


def _render(fmt: str, report, *, colour=False, category=None, include_suppressed=False,
            include_non_failing=False) -> str:
    if fmt == "text":
        from ..reporters import text
        return text.render(report, colour=colour)
    if fmt == "json":
        from ..reporters import json_report
        return json_report.render(report, include_non_failing=include_non_failing)
    if fmt == "sarif":
        from ..reporters import sarif
        return sarif.render(report, category=category, include_suppressed=include_suppressed,
                            include_non_failing=include_non_failing)
    if fmt == "github":
        from ..reporters import github
        return github.render(report)
    raise ConfigError(f"--format: unknown format '{fmt}'")


def _write(path: str, content: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _colour_wanted(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def run_check(*, paths, config=None, fmt="auto", output=None, sarif_file=None, json_file=None,
              sarif_category=None, fail_on=None, exit_zero=False, select=(), ignore=(), exclude=(),
              baseline=None, write_baseline=None, reason=None, include_suppressed=False,
              fail_if_empty=False, include_non_failing=False, **more) -> int:
    """Run once and write every requested output. ``more`` holds the options that map one to one onto
    RunOptions fields (each feature adds its field there and its click option in cli.py)."""
    from dataclasses import fields

    from ..api import RunOptions, run

    if fmt == "auto":
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if write_baseline and not (reason and reason.strip()):
        click.echo("readylint: error: --write-baseline needs --reason TEXT (why these findings are accepted)",
                   err=True)
        return 2
    stdin_text = None
    if paths == ["-"]:
        stdin_text = sys.stdin.buffer.read()
    passed_on = {f.name for f in fields(RunOptions)}
    unknown = sorted(set(more) - passed_on)
    if unknown:
        raise TypeError(f"run_check: options without a RunOptions field: {unknown}")
    options = RunOptions(paths=paths, config=config, select=list(select), ignore=list(ignore),
                         excludes=list(exclude), baseline=baseline, fail_on=fail_on, exit_zero=exit_zero,
                         stdin_text=stdin_text, **more)
    try:
        report = run(options)
        if fail_if_empty and report.files_read == 0:
            raise ConfigError("nothing to lint: no file matched (--fail-if-empty)")
        if report.files_read == 0:
            click.echo("readylint: warning: nothing to lint: no file matched", err=True)
        for error in report.errors:
            click.echo(f"readylint: {error}", err=True)
        if write_baseline:
            from ..suppressions import write_baseline as write
            count = write(write_baseline, report.findings, reason.strip())
            click.echo(f"readylint: wrote {count} findings to {write_baseline}", err=True)
            return 2 if report.errors else 0
        extras = {"category": sarif_category, "include_suppressed": include_suppressed,
                  "include_non_failing": include_non_failing}
        if sarif_file:
            _write(sarif_file, _render("sarif", report, **extras))
        if json_file:
            _write(json_file, _render("json", report, **extras))
        target = output
        colour = not target and _colour_wanted(sys.stdout)
        content = _render(fmt, report, colour=colour, **extras)
        if target:
            _write(target, content)
        else:
            click.echo(content, nl=False)
        return report.exit_code
    except ConfigError as exc:
        click.echo(f"readylint: error: {exc}", err=True)
        return 2
    except Exception:  # a bug of ours, not the user's: say so, keep the details, exit 2
        import traceback

        click.echo("readylint: internal error (please report it with the lines below):\n"
                   + traceback.format_exc(), err=True)
        return 2
