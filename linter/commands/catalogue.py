"""`readylint rules` and `readylint explain`: the catalogue as a table, JSON or one rule's page."""
from __future__ import annotations

import json

from ..registry import all_rules, find_rule


def list_rules(fmt: str) -> str:
    metas = all_rules()
    if fmt == "json":
        rows = [{"code": m.code, "slug": m.slug, "section": m.section, "section_title": m.section_title,
                 "level": m.severity, "confidence": m.confidence, "scope": m.scope, "status": m.status,
                 "summary": m.text, "help_uri": m.help_uri} for m in metas]
        return json.dumps(rows, indent=2) + "\n"
    lines = [f"{'CODE':<8} {'SLUG':<34} {'LEVEL':<8} {'CONF.':<7} SUMMARY"]
    section = None
    for m in metas:
        if m.section_title != section:
            section = m.section_title
            lines.append(f"\n{section}")
        lines.append(f"{m.code:<8} {m.slug:<34} {m.severity:<8} {m.confidence:<7} {m.text}")
    return "\n".join(lines) + "\n"


def explain_rule(name: str) -> str | None:
    meta = find_rule(name)
    return None if meta is None else meta.markdown()
