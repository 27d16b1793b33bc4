"""Rule metadata, the @rule decorator and discovery of the rule modules.

The decorator only attaches a frozen RuleMeta. ``readylint docs`` walks ``readylint.rules``, checks what it
finds against the shipped ``checklist.yaml`` (codes, slugs and order are a contract) and writes the result
to ``data/catalogue.json``; a run reads that file and imports a rule's module only when the rule runs.
"""
from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

from . import package_data

SEVERITIES = ("error", "warning", "note")
CONFIDENCES = ("high", "medium", "low")
STATUSES = ("preview", "stable", "deprecated")
DOC_SECTIONS = ("What it does", "Why it matters", "How to fix", "Example")
TOOL_RULES = ("RL001", "RL002", "RL003")
# Rules whose findings are security findings in code scanning (integrations.md S4).
SECURITY_CODES = frozenset({"SEC001", "SEC002", "SEC003", "SEC004", "SEC005", "SEC006", "SEC007",
                            "CD005", "CD006", "COMP004", "COMP005", "TEST005"})
EVIDENCE_TAGS = {"M": "kubernetes", "A": "kubernetes", "R": "docs", "C": "ci", "T": "ci", "G": "docs",
                 "S": "github-settings"}


CUSTOM_SECTION = "X"  # custom rules from configuration (linter/custom_rules.py): family X, section "Custom"
_CUSTOM: ContextVar[tuple] = ContextVar("readylint_custom_rules", default=())


class CatalogueError(Exception):
    """The rule modules disagree with checklist.yaml: a packaging bug, never a user error."""


@dataclass(frozen=True)
class RuleMeta:
    code: str
    slug: str
    scope: str
    severity: str
    confidence: str
    evidence: str
    options: dict = field(default_factory=dict)
    since: str = "0.1.0"
    status: str = "stable"
    security_severity: str | None = None
    # filled in by discovery from checklist.yaml and the docstring
    section: str = ""
    section_title: str = ""
    text: str = ""
    doc: dict = field(default_factory=dict)
    check: object = None
    uri: str | None = None  # custom rules: their own help page (None: none, "" is never written)

    @property
    def family(self) -> str:
        return re.match(r"[A-Z]+", self.code).group(0)

    @property
    def is_security(self) -> bool:
        return self.code in SECURITY_CODES

    @property
    def is_custom(self) -> bool:
        return self.section == CUSTOM_SECTION

    @property
    def help_uri(self) -> str:
        if self.is_custom:
            return self.uri or ""
        return f"https://readylint.dev/rules/{self.code}-{self.slug}/"

    def markdown(self) -> str:
        """The rule's documentation as Markdown: the text `explain`, SARIF help and docs share."""
        parts = [f"# {self.code} `{self.slug}`: {self.text}", ""]
        parts.append(f"Section: {self.section_title} · default level `{self.severity}` · "
                     f"confidence {self.confidence} · scope {self.scope} · {self.status}")
        for title, body in self.doc.items():
            parts += ["", f"## {title}", "", body]
        if self.options:
            parts += ["", "## Options", ""]
            for name, default in self.options.items():
                parts.append(f"* `rules.options.{self.code}.{name}` (default `{default!r}`)")
        return "\n".join(parts).rstrip() + "\n"


def rule(*, code, slug, scope, severity, confidence, evidence, options=None, since="0.1.0",
         status="stable", security_severity=None):
    """Declare a rule: attaches metadata to its ``check(index, opts)`` function, nothing else."""

    def attach(func):
        func.__rule__ = RuleMeta(code=code, slug=slug, scope=scope, severity=severity,
                                 confidence=confidence, evidence=evidence, options=dict(options or {}),
                                 since=since, status=status, security_severity=security_severity,
                                 check=func)
        return func

    return attach


def parse_doc(docstring: str) -> tuple[str, dict]:
    """First line and the ``## Section`` bodies of a rule docstring."""
    text = (docstring or "").strip("\n")
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    sections: dict[str, str] = {}
    current = None
    body: list[str] = []
    fenced = False  # a `## ` line inside a fenced example (a Markdown document) is not a section
    for line in lines[1:]:
        stripped = line
        if stripped.strip().startswith("```"):
            fenced = not fenced if stripped.strip() == "```" or not fenced else fenced
        match = None if fenced else re.match(r"## (.+)$", stripped.strip())
        if match:
            if current:
                sections[current] = "\n".join(body).strip()
            current, body = match.group(1).strip(), []
        elif current:
            body.append(stripped.rstrip())
    if current:
        sections[current] = "\n".join(body).strip()
    return first, sections


@lru_cache(maxsize=1)
def checklist() -> list[dict]:
    """checklist.yaml items in order, each with its section id and title."""
    from .inputs.yaml_docs import load_stream

    text = package_data.read_text("readylint.data", "checklist.yaml")
    data = load_stream(text).documents[0].data
    items = []
    for section in data["sections"]:
        for item in section["items"]:
            items.append({"code": item["code"], "slug": item["slug"], "text": item["text"],
                          "section": section["id"], "section_title": section["title"]})
    return items


TOOL_RULE_TEXT = {
    "RL001": ("parse-error", "A file readylint needs could be read and parsed"),
    "RL002": ("unused-suppression", "Every suppression matches a finding"),
    "RL003": ("invalid-suppression", "Every suppression is well formed, has a reason and has not expired"),
}


@contextmanager
def custom_catalogue(metas=()):
    """Let a run's custom rules join the catalogue (lookups, selectors, suppressions) while it lasts.

    Yields a setter for rules known only later (after the configuration loads). The shipped catalogue and its
    checklist contract stay as they are; outside the block nothing has changed.
    """
    token = _CUSTOM.set(tuple(metas))
    try:
        yield lambda more: _CUSTOM.set(tuple(more))
    finally:
        _CUSTOM.reset(token)


def all_rules() -> tuple[RuleMeta, ...]:
    """The shipped rules, then the custom rules of the current run (if any) before RL001–RL003."""
    custom = _CUSTOM.get()
    shipped = builtin_rules()
    if not custom:
        return shipped
    return tuple(m for m in shipped if not m.code.startswith("RL")) + custom + tuple(
        m for m in shipped if m.code.startswith("RL"))


CATALOGUE = os.path.join(os.path.dirname(__file__), "data", "catalogue.json")
CATALOGUE_DOCS = os.path.join(os.path.dirname(__file__), "data", "catalogue-docs.json")  # read only when shown
CATALOGUE_FIELDS = ("code", "slug", "scope", "severity", "confidence", "evidence", "options", "since", "status",
                    "security_severity", "section", "section_title", "text")


class LazyCheck:
    """A shipped rule's ``check``, imported on its first call: a run imports only the rules it evaluates.

    Importing all rule modules (and the models they pull in) costs more than linting a small file, so
    the catalogue carries the metadata and the module is loaded only when the rule runs.
    """

    __slots__ = ("module", "_func")

    def __init__(self, module: str):
        self.module, self._func = module, None

    def __call__(self, index, opts):
        if self._func is None:
            self._func = importlib.import_module(self.module).check
        return self._func(index, opts)

    def __repr__(self) -> str:
        return f"LazyCheck({self.module!r})"


class LazyDoc(Mapping):
    """A shipped rule's documentation sections, read from the catalogue's docs file when first shown."""

    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def _sections(self) -> dict:
        return _catalogue_docs().get(self.code, {})

    def __getitem__(self, key):
        return self._sections()[key]

    def __iter__(self):
        return iter(self._sections())

    def __len__(self) -> int:
        return len(self._sections())


@lru_cache(maxsize=1)
def _catalogue_docs() -> dict:
    with open(CATALOGUE_DOCS, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def builtin_rules() -> tuple[RuleMeta, ...]:
    """Every rule in checklist order, then RL001–RL003, from the generated catalogue (``readylint docs``)."""
    with open(CATALOGUE, encoding="utf-8") as handle:
        entries = json.load(handle)
    return tuple(RuleMeta(**{name: entry[name] for name in CATALOGUE_FIELDS}, doc=LazyDoc(entry["code"]),
                          check=LazyCheck(entry["module"])) for entry in entries)


def discover_rules() -> tuple[RuleMeta, ...]:
    """Import every rule module and build the catalogue from them, checking it against checklist.yaml.

    Only ``readylint docs`` and the tests call this; runs read the generated catalogue instead.
    """
    import pkgutil
    from dataclasses import replace

    import readylint.rules as package

    found: dict[str, RuleMeta] = {}
    slugs: set[str] = set()
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.ispkg or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        meta = getattr(getattr(module, "check", None), "__rule__", None)
        if meta is None:
            continue
        if meta.code in found or meta.slug in slugs:
            raise CatalogueError(f"duplicate rule {meta.code} ({meta.slug}) in {info.name}")
        first, sections = parse_doc(module.__doc__)
        found[meta.code] = replace(meta, doc=sections, text=first)
        slugs.add(meta.slug)
    ordered = []
    for item in checklist():
        meta = found.pop(item["code"], None)
        if meta is None:
            continue  # not implemented yet: the catalogue test lists what is missing
        if meta.slug != item["slug"]:
            raise CatalogueError(f"{meta.code} slug {meta.slug!r} differs from checklist {item['slug']!r}")
        ordered.append(replace(meta, text=item["text"], section=item["section"],
                               section_title=item["section_title"]))
    for code in TOOL_RULES:
        meta = found.pop(code, None)
        if meta is None:
            raise CatalogueError(f"tool rule {code} is missing")
        ordered.append(replace(meta, text=TOOL_RULE_TEXT[code][1], section="RL", section_title="readylint"))
    if found:
        raise CatalogueError(f"rules not in checklist.yaml: {', '.join(sorted(found))}")
    return tuple(ordered)


def catalogue_texts(metas) -> dict[str, str]:
    """The catalogue files for ``metas`` (path -> deterministic JSON): the metadata with each rule's module,
    and the documentation sections by code."""
    entries = [{**{name: getattr(m, name) for name in CATALOGUE_FIELDS}, "module": m.check.__module__}
               for m in metas]
    docs = {m.code: dict(m.doc) for m in metas}
    return {CATALOGUE: json.dumps(entries, indent=1, ensure_ascii=False) + "\n",
            CATALOGUE_DOCS: json.dumps(docs, indent=1, ensure_ascii=False) + "\n"}


def find_rule(code_or_slug: str) -> RuleMeta | None:
    wanted = code_or_slug.strip()
    for meta in all_rules():
        if meta.code == wanted.upper() or meta.slug == wanted.lower():
            return meta
    return None


def resolve_selector(token: str) -> set[str] | None:
    """Codes named by a code, a slug or a family prefix (``DR``); None when it names nothing."""
    token = token.strip()
    if not token:
        return set()
    meta = find_rule(token)
    if meta is not None:
        return {meta.code}
    family = {m.code for m in all_rules() if m.family == token.upper()}
    if family:
        return family
    upper = token.upper()
    if any(item["code"].startswith(upper) for item in checklist()) or upper == "ALL":
        return {m.code for m in all_rules() if m.code.startswith(upper) or upper == "ALL"}
    return None
