"""`readylint rules` and `readylint explain`: the catalogue as a table, JSON or one rule's page."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager

from ..registry import all_rules, custom_catalogue, find_rule


@contextmanager
def with_custom_rules(explicit: str | None):
    """The custom rules of the configuration here (or ``--config``) join the catalogue for this command.

    A broken configuration named with --config is an error (exit 2); one merely found is a warning, so the
    shipped catalogue can always be listed.
    """
    import click

    from ..config import ConfigError, load_config
    from ..inputs.files import find_root

    cwd = os.getcwd()
    metas = ()
    try:
        root = os.path.realpath(find_root(cwd))
        config = load_config(root, os.path.join(cwd, explicit) if explicit else None, start=cwd)
        if config.custom:
            from ..custom_rules import build

            metas = build(config.custom)
    except ConfigError as exc:
        click.echo(f"readylint: {'error' if explicit else 'warning'}: {exc}", err=True)
        if explicit:
            sys.exit(2)
    with custom_catalogue(metas):
        yield


def list_rules(fmt: str, profile: str | None = None) -> str:
    from ..profiles import codes, profile_of

    metas = all_rules()
    if profile:
        chosen = codes(profile)
        metas = [m for m in metas if m.code in chosen or m.is_custom]
    if fmt == "json":
        rows = [{"code": m.code, "slug": m.slug, "section": m.section, "section_title": m.section_title,
                 "level": m.severity, "confidence": m.confidence, "scope": m.scope, "status": m.status,
                 "summary": m.text, "help_uri": m.help_uri, "profile": profile_of(m.code)} for m in metas]
        return json.dumps(rows, indent=2) + "\n"
    code_w = max([8] + [len(m.code) for m in metas])  # custom codes (X-NAME) may be longer
    slug_w = max([34] + [len(m.slug) for m in metas])
    lines = [f"{'CODE':<{code_w}} {'SLUG':<{slug_w}} {'LEVEL':<8} {'CONF.':<7} SUMMARY"]
    section = None
    for m in metas:
        if m.section_title != section:
            section = m.section_title
            lines.append(f"\n{section}")
        lines.append(f"{m.code:<{code_w}} {m.slug:<{slug_w}} {m.severity:<8} {m.confidence:<7} {m.text}")
    return "\n".join(lines) + "\n"


def explain_rule(name: str) -> str | None:
    meta = find_rule(name)
    return None if meta is None else meta.markdown()
