"""Where an alert's runbook link leads: a repository file and heading, a claimed wiki, an upstream site.

Runbook URLs are matched the way static sites publish them: ``<base>/<component>/<alert>`` is the file
``.../<component>/<Alert>.md`` (case and extension ignored, ``_index.md`` pages by their folder), and
``{{ $labels.alertname }}`` is replaced by the alert's name. Used by DOC002.
"""
from __future__ import annotations

import posixpath
import re

from .. import lazy_re

RUNBOOK_GLOBS = ("RUNBOOK.md", "RUNBOOKS.md", "docs/runbooks/**/*.md", "docs/runbook*.md", "runbooks/**/*.md",
                 "docs/**/runbooks/**/*.md", "**/runbooks/**/*.md", "**/runbook.md")
TEMPLATE = lazy_re.compile(r"\{\{\s*(?:\$labels\.alertname|\.Labels\.alertname|\$labels\.alert)\s*\}\}")


def _base(url: str) -> str:
    return re.sub(r"^https?://", "", url.strip()).rstrip("/").lower()


def runbook_files(index):
    """Runbook documents by convention (section index pages excluded)."""
    return [p for p in index.repo.find(*RUNBOOK_GLOBS) if not p.lower().endswith(("_index.md", "/readme.md"))]


def map_url(index, rest: str) -> str | None:
    """The repository file a runbook URL path names (``kubernetes/kubepodcrashlooping`` →
    ``.../kubernetes/KubePodCrashLooping.md``), comparing without case and extension."""
    rest = re.sub(r"\.(md|html?)$", "", rest.strip("/").lower())
    if not rest:
        return None
    stems = index.__dict__.get("_runbook_stems")
    if stems is None:  # once per run: lower-case path without extension (section index pages by folder)
        stems = []
        for path in index.repo.files:
            stem = re.sub(r"\.(md|markdown|rst|adoc)$", "", path.lower())
            if stem != path.lower():
                stems.append((re.sub(r"/(_index|index|readme)$", "", stem), path))
        index.__dict__["_runbook_stems"] = stems
    for stem, path in stems:
        if stem == rest or stem.endswith("/" + rest):
            return path
    return None


def resolve(index, alert, url: str, sites) -> tuple:
    """(status, path, anchor, why) of an alert's runbook URL; status is "repo", "claim", "upstream", "external"
    or "broken". ``sites``: upstream runbook sites accepted for the page of that very alert."""
    platform = index.settings.get("platform") or {}
    url = TEMPLATE.sub(alert.name, url.strip())
    if "{{" in url:
        return "external", None, "", f"the runbook URL {url} is a template readylint cannot expand"
    target, _, anchor = url.partition("#")
    if "://" not in target:
        for base in (posixpath.dirname(alert.path), ""):
            wanted = posixpath.normpath(posixpath.join(base, target.lstrip("/")))
            actual = index.repo.actual(wanted)
            if actual:
                return "repo", actual, anchor, ""
        return "broken", None, anchor, f"{target} does not exist in the repository"
    base_url = platform.get("runbooks_base_url")
    if base_url and _base(target).startswith(_base(base_url)):
        rest = _base(target)[len(_base(base_url)):]
        found = map_url(index, rest)
        if found:
            return "repo", found, anchor, ""
        if runbook_files(index):
            return "broken", None, anchor, (f"no runbook in the repository matches {rest.strip('/')} under "
                                            f"platform.runbooks_base_url")
        return "claim", None, anchor, "claim: platform.runbooks_base_url (link shape checked only)"
    repo_url = str((index.settings.get("project") or {}).get("repo_url") or "")
    if repo_url and _base(target).startswith(_base(repo_url) + "/"):
        match = re.match(r"/(?:blob|tree)/[^/]+/(.+)", _base(target)[len(_base(repo_url)):])
        if match and index.repo.actual(match.group(1)):
            return "repo", index.repo.actual(match.group(1)), anchor, ""
        return "broken", None, anchor, f"{target} names no file of this repository"
    host = _base(target)
    if any(host.startswith(_base(site)) for site in sites):
        page = (anchor or host.rstrip("/").rsplit("/", 1)[-1]).lower()
        if alert.name.lower() not in re.sub(r"^(alert-name-|alert-)", "", page.replace(".md", "")):
            return "broken", None, anchor, (f"{url} is the upstream runbook of another alert; an application alert "
                                            f"needs a runbook of its own")
        return "upstream", None, anchor, "an upstream runbook (fine for platform alerts)"
    return "external", None, anchor, (f"the runbook {target} is outside the repository; declare "
                                      "platform.runbooks_base_url to have it accepted")
