"""Command line: argument parsing and dispatch only; the work lives in api and the reporters."""
from __future__ import annotations

import sys

import click

from . import __version__

FORMATS = ("auto", "text", "json", "sarif", "github", "markdown", "html", "junit", "gitlab")
PROFILES = ("minimal", "standard", "production")  # profiles.NAMES (tests keep them equal)
FAIL_ON = ("note", "warning", "error", "never")


def _split(values) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="readylint", message="%(prog)s %(version)s")
def main():
    """readylint: is this service ready for production?

    Lints a repository offline (rendered Kubernetes manifests, Argo CD objects, docs, CI files,
    GitHub settings snapshot) against a 67-item production-readiness checklist and reports each
    finding at an exact file, line and column.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", "config", metavar="FILE", help="Configuration file (default: .readylint.yaml at the root).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Output format; auto is github under GitHub Actions, else text.")
@click.option("--output", "-o", metavar="FILE", help="Write the --format output to FILE instead of stdout.")
@click.option("--sarif-file", metavar="FILE", help="Also write SARIF 2.1.0 to FILE.")
@click.option("--json-file", metavar="FILE", help="Also write the JSON report to FILE.")
@click.option("--markdown-file", metavar="FILE", help="Also append the Markdown readiness report to FILE.")
@click.option("--junit-file", metavar="FILE", help="Also write JUnit XML (one test case per rule and subject) to FILE.")
@click.option("--gitlab-file", metavar="FILE", help="Also write a GitLab Code Quality report to FILE.")
@click.option("--profile", type=click.Choice(PROFILES), default=None,
              help="Checklist items to run: minimal, standard or production (default: config, else production).")
@click.option("--sarif-category", metavar="NAME", help="SARIF automationDetails.id becomes readylint/NAME/.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Lowest level that fails the run (default: error).")
@click.option("--exit-zero", is_flag=True, help="Findings never fail the run; errors still exit 2.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these codes, slugs or families (comma-separated).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these codes, slugs or families.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB (repeatable).")
@click.option("--baseline", metavar="FILE", help="Waive findings whose fingerprint is in FILE.")
@click.option("--write-baseline", metavar="FILE", help="Write every current finding to FILE as a baseline.")
@click.option("--reason", metavar="TEXT", help="Reason recorded with --write-baseline.")
@click.option("--sarif-include-suppressed", "include_suppressed", is_flag=True, help="Add waived findings to SARIF with suppressions.")
@click.option("--include-non-failing", is_flag=True, help="Add PASS and NOT-APPLICABLE outcomes to SARIF and JSON.")
@click.option("--fail-if-empty", is_flag=True, help="Exit 2 when nothing was linted.")
@click.option("--github-settings", metavar="FILE",
              help="GitHub settings snapshot (default: .readylint/github-settings.json at the root).")
@click.option("--changed-since", metavar="REF",
              help="Show only findings in files changed since git REF (SARIF keeps all).")
@click.option("--github-output", is_flag=True,
              help="Append findings-count, sarif-file and exit-code to $GITHUB_OUTPUT.")
@click.option("--helm-chart", metavar="DIR", help="Render this chart with helm template and lint the output.")
@click.option("--values", multiple=True, metavar="FILE", help="Values file for the rendered chart (repeatable).")
@click.option("--set", "set_values", multiple=True, metavar="KEY=VALUE", help="Value for the rendered chart (repeatable).")
@click.option("--release", metavar="NAME", help="Release name for the rendered chart (default: the chart name).")
@click.option("--namespace", metavar="NS", help="Namespace for the rendered chart (default: default).")
@click.option("--helm-bin", metavar="PATH", help="helm executable (default: helm on PATH).")
@click.option("--no-render", is_flag=True, help="Never run helm or kustomize; lint committed files only.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Processes that parse manifests of a big repository (default: the CPUs; 1: one process).")
def check(paths, **opts):
    """Lint PATHS (default: the current folder; - reads standard input)."""
    from .commands.check import run_check

    opts["select"] = _split(opts["select"])
    opts["ignore"] = _split(opts["ignore"])
    opts["exclude"] = list(opts["exclude"])
    code = run_check(paths=list(paths) or ["."], **opts)
    sys.exit(code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", "config", metavar="FILE", help="Configuration file (default: .readylint.yaml at the root).")
@click.option("--format", "fmt", type=click.Choice(("markdown", "html")), default="markdown", show_default=True)
@click.option("--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--profile", type=click.Choice(PROFILES), default=None, help="Checklist items to report on.")
@click.option("--github-settings", metavar="FILE",
              help="GitHub settings snapshot (default: .readylint/github-settings.json).")
@click.option("--changed-since", metavar="REF", help="List only findings in files changed since git REF.")
def report(paths, **opts):
    """Write the readiness report of PATHS: the checklist item by item (exit 0 unless an error occurs)."""
    from .commands.check import run_check

    code = run_check(paths=list(paths) or ["."], exit_zero=True, **opts)
    sys.exit(code)


@main.group()
def snapshot():
    """Record settings that live outside the repository (the only commands that use the network)."""


@snapshot.command("github")
@click.argument("repo", metavar="OWNER/REPO")
@click.option("--branch", "branches", multiple=True, metavar="NAME",
              help="Also record and judge this branch (repeatable); the default branch and github.branches globs "
                   "always are.")
@click.option("--out", "--output", "out", metavar="FILE",
              help="Where to write (default: .readylint/github-settings.json at the repository root).")
@click.option("--api-url", metavar="URL", help="REST API URL for GitHub Enterprise Server (default: $GITHUB_API_URL "
                                               "or https://api.github.com).")
@click.option("--config", "config", metavar="FILE", help="Configuration file (default: .readylint.yaml at the root).")
def snapshot_github(repo, branches, out, api_url, config):
    """Write the GitHub settings snapshot of OWNER/REPO for CD005 and CD006 (token from GITHUB_TOKEN)."""
    from .github.command import run_snapshot

    sys.exit(run_snapshot(repo, branches, out, api_url, config))


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--profile", type=click.Choice(PROFILES), default=None, help="Only the rules this profile runs.")
@click.option("--config", "config", metavar="FILE", help="Configuration whose custom rules to list "
                                                         "(default: .readylint.yaml here or above).")
def rules_command(fmt, profile, config):
    """List every rule: code, slug, section, default level, confidence and summary (custom rules included)."""
    from .commands.catalogue import list_rules, with_custom_rules

    with with_custom_rules(config):
        click.echo(list_rules(fmt, profile), nl=False)


@main.command()
@click.argument("rule")
@click.option("--config", "config", metavar="FILE", help="Configuration that defines custom rules "
                                                         "(default: .readylint.yaml here or above).")
def explain(rule, config):
    """Print the documentation of RULE (a code such as HA003 or a slug such as pod-disruption-budget)."""
    from .commands.catalogue import explain_rule, with_custom_rules

    with with_custom_rules(config):
        text = explain_rule(rule)
    if text is None:
        raise click.UsageError(f"unknown rule '{rule}'; `readylint rules` lists them")
    click.echo(text, nl=False)


@main.command()
@click.argument("out_dir", default="docs/rules", required=False, type=click.Path(file_okay=False))
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if the pages are out of date.")
def docs(out_dir, check_only):
    """Write the rule pages and their index to OUT_DIR (default: docs/rules), and the rule catalogue."""
    from . import docsgen

    if check_only:
        problems = docsgen.check(out_dir)
        for problem in problems:
            click.echo(problem)
        if problems:
            click.echo(f"{out_dir} is out of date: run `readylint docs` to update", err=True)
            sys.exit(1)
        click.echo(f"{out_dir} is up to date")
        return
    files = docsgen.write(out_dir)
    click.echo(f"wrote {len(files) - 3} rule pages and the index to {out_dir}, and the rule catalogue")


if __name__ == "__main__":  # pragma: no cover
    main()
