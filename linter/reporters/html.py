"""Readiness report as one self-contained HTML page: the Markdown report's content, inline CSS, no assets.

Autoescaped: finding messages and paths come from the scanned repository and must never become markup.
"""
from __future__ import annotations

from ..report import Report
from .markdown import STATES, readiness, environment


def render(report: Report, category: str | None = None) -> str:
    template = environment(autoescape=True).get_template("report.html.j2")
    return template.render(r=readiness(report, category), states=STATES)
