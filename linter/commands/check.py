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
    if fmt == "markdown":
        from ..reporters import markdown
        return markdown.render(report, category=category)
    if fmt == "html":
        from ..reporters import html
        return html.render(report, category=category)
    if fmt == "junit":
        from ..reporters import junit
        return junit.render(report)
    if fmt == "gitlab":
        from ..reporters import gitlab
        return gitlab.render(report)
    raise ConfigError(f"--format: unknown format '{fmt}'")


def _write(path: str, content: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _append(path: str, content: str) -> None:
    """--markdown-file appends: several steps may share one job summary (integrations.md J1)."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(content)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _github_output(report, sarif_file) -> None:
    """--github-output: `name=value` lines for later steps; a value with a newline uses the delimiter form."""
    import uuid

    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        click.echo("readylint: warning: --github-output: GITHUB_OUTPUT is not set (outside GitHub Actions); "
                   "no outputs written", err=True)
        return
    values = {"findings-count": str(len(report.shown)), "exit-code": str(report.exit_code)}
    if sarif_file:
        values["sarif-file"] = sarif_file
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    _append(target, "".join(lines))


def _colour_wanted(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def run_check(*, paths, config=None, fmt="auto", output=None, sarif_file=None, json_file=None,
              sarif_category=None, fail_on=None, exit_zero=False, select=(), ignore=(), exclude=(),
              baseline=None, write_baseline=None, reason=None, include_suppressed=False,
              fail_if_empty=False, include_non_failing=False, markdown_file=None, github_output=False,
              junit_file=None, gitlab_file=None, **more) -> int:
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
    from ..progress import for_stderr

    progress = for_stderr()
    options = RunOptions(paths=paths, config=config, select=list(select), ignore=list(ignore),
                         excludes=list(exclude), baseline=baseline, fail_on=fail_on, exit_zero=exit_zero,
                         stdin_text=stdin_text, progress=progress, **more)
    try:
        try:
            report = run(options)
        finally:
            if progress is not None:
                progress.close()
        for warning in report.warnings:
            click.echo(f"readylint: warning: {warning}", err=True)
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
        if markdown_file:
            _append(markdown_file, _render("markdown", report, **extras))
        if junit_file:
            _write(junit_file, _render("junit", report, **extras))
        if gitlab_file:
            _write(gitlab_file, _render("gitlab", report, **extras))
        target = output
        colour = not target and _colour_wanted(sys.stdout)
        content = _render(fmt, report, colour=colour, **extras)
        if target:
            _write(target, content)
        else:
            click.echo(content, nl=False)
        if github_output:
            _github_output(report, sarif_file)
        return report.exit_code
    except ConfigError as exc:
        click.echo(f"readylint: error: {exc}", err=True)
        return 2
    except Exception:  # a bug of ours, not the user's: say so, keep the details, exit 2
        import traceback

        click.echo("readylint: internal error (please report it with the lines below):\n"
                   + traceback.format_exc(), err=True)
        return 2
