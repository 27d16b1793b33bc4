"""Document requirements as data, and the one evaluator that turns them into outcomes.

A rule about a document mostly declares a ``DocRequirement``: where the document lives (globs), which
headings qualify a section of another document (a README "Deployment" section), which sections it must
have (heading patterns, case-insensitive, each with at least ``min_words`` words besides stub markers),
which figures it must state (``facts.FACTS``), how old its review may be and what it must not lag
behind. ``evaluate`` finds the best candidate; ``judge`` yields the standard outcomes, so rules only add
their own cross-checks. ``DocRequirement.from_mapping`` reads the same shape from configuration.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field, replace

from ..findings import EVIDENCE_UNAVAILABLE, Location, Related
from ..inputs.markup import Markup, Section
from .docs import Freshness, docs, today
from .facts import FACTS, Fact, find_facts


@dataclass(frozen=True)
class SectionSpec:
    """A section a document needs: its display name and the heading patterns (regex) that satisfy it."""

    name: str
    patterns: tuple = ()
    fields: tuple = ()  # front-matter keys that satisfy it too
    in_text: bool = False  # a topic: the patterns may also match the body text, not only a heading

    def matches(self, text: str) -> bool:
        return any(re.search(p, text, re.IGNORECASE) for p in (self.patterns or (re.escape(self.name),)))


@dataclass(frozen=True)
class DocRequirement:
    name: str                      # how messages call the document: "incident response procedure"
    paths: tuple = ()              # globs of dedicated documents, preferred in this order
    headings: tuple = ()           # heading patterns: such a section of any searched document qualifies
    exclude_headings: tuple = ()   # heading patterns that never qualify ("Installation", "Getting started")
    exclude_paths: tuple = ()      # globs of documents that never qualify (SECURITY.md is no incident process)
    sections: tuple = ()           # SectionSpec
    facts: tuple = ()              # names in facts.FACTS that must be stated
    max_age_days: int | None = None  # review age against the run date
    stale_against: tuple = ()      # globs: stale when these changed more than staleness_days after the doc
    staleness_days: int = 180
    min_words: int = 20
    check_links: bool = True
    fix: str = ""                  # what to add, for the "missing" message
    content: tuple = ()            # text patterns of the real thing (a deploy command): wins ties among sections
    content_headings: tuple = ()   # heading patterns that qualify only when the section holds ``content``, even
    #                                matching ``headings`` ("Install and deploy" without a deploy command does not)

    @classmethod
    def from_mapping(cls, data: dict, defaults: dict | None = None) -> "DocRequirement":
        """The configuration shape (schema ``$defs/documentRequirement``): {name, paths, headings, sections:
        [str | {name, patterns, fields}], facts, max_age_days, stale_against, staleness_days, min_words, fix}."""
        defaults = defaults or {}
        sections = []
        for item in data.get("sections", ()):
            if isinstance(item, str):
                sections.append(SectionSpec(item, (re.escape(item),)))
            else:
                sections.append(SectionSpec(str(item["name"]), tuple(item.get("patterns") or
                                                                      (re.escape(str(item["name"])),)),
                                            tuple(item.get("fields", ()))))
        unknown = [f for f in data.get("facts", ()) if f not in FACTS]
        if unknown:
            raise ValueError(f"unknown fact {unknown[0]!r} (known: {', '.join(sorted(FACTS))})")
        return cls(name=str(data["name"]), paths=tuple(data.get("paths", ())),
                   headings=tuple(data.get("headings", ())), sections=tuple(sections),
                   exclude_headings=tuple(data.get("exclude_headings", ())),
                   exclude_paths=tuple(data.get("exclude_paths", ())),
                   facts=tuple(data.get("facts", ())), max_age_days=data.get("max_age_days"),
                   stale_against=tuple(data.get("stale_against", ())),
                   staleness_days=int(data.get("staleness_days", defaults.get("doc_staleness_days", 180))),
                   min_words=int(data.get("min_words", defaults.get("doc_section_min_words", 20))),
                   fix=str(data.get("fix", "")))


@dataclass
class DocMatch:
    """The best document (or section of one) for a requirement, and what it lacks."""

    requirement: DocRequirement
    doc: Markup | None = None
    scope: Section | None = None  # None: the whole document
    found: dict = field(default_factory=dict)       # section name -> Section
    missing: list = field(default_factory=list)     # SectionSpec
    stubs: list = field(default_factory=list)       # (SectionSpec, Section)
    facts: dict = field(default_factory=dict)       # fact name -> [Fact]
    broken: list = field(default_factory=list)      # (Link, why)
    candidates: int = 0
    has_content: bool = False  # the text matches requirement.content

    @property
    def start(self) -> int:
        return self.scope.heading.line if self.scope else 1

    @property
    def end(self) -> int:
        return self.scope.end if self.scope else len(self.doc.lines)

    @property
    def location(self) -> Location:
        heading = self.scope.heading if self.scope else (self.doc.title if self.doc else None)
        if heading is None:
            return Location(self.doc.path, 1, 1)
        return Location(self.doc.path, heading.line, heading.col)

    @property
    def where(self) -> str:
        """"docs/deploy.md" or "README.md section 'Deployment'"."""
        if self.scope is None:
            return self.doc.path
        return f"{self.doc.path} section '{self.scope.heading.text}'"

    @property
    def words(self) -> int:
        if self.scope is not None:
            return self.scope.words
        return self.doc.words_between(self.doc.body_start, len(self.doc.lines))

    def text(self) -> str:
        return self.doc.text_between(self.start, self.end)

    def fact(self, name: str) -> Fact | None:
        found = self.facts.get(name) or []
        return found[0] if found else None


def _candidates(docset, req: DocRequirement):
    for path in docset.find(*req.paths):
        doc = docset.get(path)
        if doc is not None:
            yield doc, None
    if not req.headings:
        return
    skipped = set(docset.find(*req.paths)) | set(docset.find(*req.exclude_paths))
    for doc in docset.documents():
        if doc.path in skipped:
            continue
        for section in doc.sections:
            text = section.heading.text
            if any(re.search(p, text, re.IGNORECASE) for p in req.exclude_headings):
                continue
            if any(re.search(p, text, re.IGNORECASE) for p in req.content_headings):
                if _has_content(req, doc.text_between(section.start, section.end)):
                    yield doc, section
            elif any(re.search(p, text, re.IGNORECASE) for p in req.headings):
                yield doc, section


def _has_content(req: DocRequirement, text: str) -> bool:
    return any(re.search(p, text, re.IGNORECASE) for p in req.content)


def inspect(docset, req: DocRequirement, doc: Markup, scope: Section | None = None,
            min_words: int | None = None) -> DocMatch:
    """What ``doc`` (or its section ``scope``) has and lacks for ``req``."""
    min_words = req.min_words if min_words is None else min_words
    match = DocMatch(req, doc, scope)
    inner = doc.subsections(scope) if scope else doc.sections
    for spec in req.sections:
        if any(f in doc.front_matter for f in spec.fields):
            match.found[spec.name] = None
            continue
        hits = [s for s in inner if s is not scope and spec.matches(s.heading.text)]
        if scope is not None and not hits and spec.matches(scope.heading.text):
            hits = [scope]
        if not hits and spec.in_text and spec.matches(doc.text_between(match.start, match.end)):
            match.found[spec.name] = None
            continue
        if not hits:
            match.missing.append(spec)
            continue
        best = max(hits, key=lambda s: s.words)
        match.found[spec.name] = best
        outer = [h for h in hits if not any(o is not h and o.start <= h.heading.line <= o.end for o in hits)]
        if sum(h.words for h in outer) < min_words:  # "Meaning" and "Impact" together make one section
            match.stubs.append((spec, best))
    for name in req.facts:
        match.facts[name] = find_facts(doc, name, match.start, match.end)
    match.has_content = _has_content(req, match.text())
    if req.check_links:
        match.broken = list(docset.broken_links(doc, match.start, match.end))
    return match


def evaluate(index, req: DocRequirement, min_words: int | None = None) -> DocMatch | None:
    """The best candidate: the one missing the fewest sections and facts; ties go to dedicated documents, then
    to sections holding ``content`` (a quickstart that deploys beats a list of links), then to the earlier."""
    docset = docs(index)
    words = req.min_words if min_words is None else min_words
    best, count = None, 0
    for rank, (doc, scope) in enumerate(_candidates(docset, req)):
        match = inspect(docset, req, doc, scope, words)
        if scope is not None and req.sections and not match.found:
            continue  # a heading that merely mentions the topic, with none of the sections, is not the document
        count += 1
        score = (len(match.missing) + len(match.stubs) + sum(1 for f in req.facts if not match.facts.get(f)),
                 match.words < words, scope is not None, bool(req.content) and not match.has_content, rank)
        if best is None or score < best[0]:
            best = (score, match)
    if best is None:
        return None
    best[1].candidates = count
    return best[1]


def _names(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def judge(index, req: DocRequirement, subject, match: DocMatch | None = None, *, key: str = "doc"):
    """Standard outcomes: missing document, stub, missing sections, missing facts, broken links, review age
    and staleness. Rules call ``evaluate`` first when they add cross-checks of their own."""
    match = match if match is not None else evaluate(index, req)
    if match is None:
        yield subject.fail(f"No {req.name} found in the repository. {req.fix}".strip(),
                           at=index.repo.anchor(), key_path=f"{key}.missing")
        return
    failed = False
    if match.words < req.min_words and not req.sections:
        failed = True
        yield subject.fail(f"The {req.name} in {match.where} is a stub ({match.words} words besides TODO/TBD "
                           f"markers); write it out. {req.fix}".strip(), at=match.location, key_path=f"{key}.stub")
    if match.missing or match.stubs:
        failed = True
        parts = []
        if match.missing:
            parts.append("lacks " + _names([s.name for s in match.missing]))
        if match.stubs:
            parts.append(f"has stub sections {_names([s.name for s, _ in match.stubs])} (under {req.min_words} "
                         "words each)")
        how = "cover each of them" if all(s.in_text for s in match.missing) and not match.stubs else \
            "add a heading for each with real content"
        yield subject.fail(f"The {req.name} in {match.where} {' and '.join(parts)}; {how}.", at=match.location,
                           key_path=f"{key}.sections")
    for name in req.facts:
        if not match.facts.get(name):
            failed = True
            yield subject.fail(f"The {req.name} in {match.where} states no {name.upper().replace('_', ' ')}; "
                               f"state it (e.g. front matter {FACTS[name].keys[0]}).", at=match.location,
                               key_path=f"{key}.facts.{name}")
    for link, why in match.broken:
        failed = True
        yield subject.fail(f"A link in the {req.name} ({match.doc.path}) is broken: {why}.",
                           at=Location(match.doc.path, link.line, link.col), key_path=f"{key}.links.{link.target}")
    fresh_subject = replace(subject, key=subject.key + "/freshness", display=subject.display + " (freshness)")
    yield from review_outcomes(index, req, fresh_subject, match, key)
    if not failed:
        yield subject.passed(f"{match.where} covers it")


def review_outcomes(index, req: DocRequirement, subject, match: DocMatch, key: str = "doc"):
    """Review age (max_age_days against the run date) and staleness against what the document describes."""
    docset = docs(index)
    if req.max_age_days is None and not req.stale_against:
        return
    fresh = docset.freshness(match.doc)
    if not fresh.known:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"cannot date {match.doc.path}: {fresh.unavailable}; "
                                                           "add front matter last_reviewed: YYYY-MM-DD")
        return
    where = fresh.location or match.location
    at = where if fresh.source == "last_reviewed" else match.location
    if req.max_age_days is not None:
        age = (today(index) - fresh.date).days
        if age > req.max_age_days:
            yield subject.fail(f"The {req.name} in {match.doc.path} was last reviewed {fresh.date.isoformat()} "
                               f"({age} days ago, more than {req.max_age_days}); review it and update "
                               f"last_reviewed.", at=at, key_path=f"{key}.review", level="warning")
            return
    if req.stale_against:
        yield from stale_outcomes(index, req.name, subject, match.doc.path, fresh, at, req.stale_against,
                                  req.staleness_days, key)
        return
    yield subject.passed(f"{match.doc.path} reviewed {fresh.date.isoformat()}")


def stale_outcomes(index, name, subject, path, fresh: Freshness, at, globs, days, key="doc"):
    """Fail when what ``globs`` match changed more than ``days`` after the document (``fresh``)."""
    paths = [p for p in index.repo.glob(*globs) if p != path]
    if not paths:
        yield subject.passed(f"nothing that {path} describes is in the repository")
        return
    described = docs(index).changed(paths)
    if not described.known:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"cannot date what {path} describes: "
                                                           f"{described.unavailable}")
        return
    lag = (described.date - fresh.date).days
    if lag > days:
        how = "was last reviewed" if fresh.source == "last_reviewed" else "last changed"
        yield subject.fail(f"The {name} {path} is stale: it {how} {fresh.date.isoformat()}, {lag} days before the "
                           f"last change to {described.location.path} ({described.date.isoformat()}), more than "
                           f"{days}; update it.", at=at, key_path=f"{key}.stale",
                           related=(Related(described.location, "changed later than the document"),))
        return
    yield subject.passed(f"{path} is within {days} days of {described.location.path}")


def age_days(index, date: _dt.date) -> int:
    return (today(index) - date).days
