"""Markdown, reStructuredText and AsciiDoc read into headings, front matter, links, anchors and sections.

Why not a full Markdown library: rules only need the outline with exact lines (ATX and setext headings,
rst underlines, adoc ``==`` titles), the links with their positions, and GitHub's anchor slugs, so a
line scanner that skips code fences is enough and keeps start-up cheap. Front matter is read with the
project's safe YAML loader, so its keys keep their lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import lazy_re
from .yaml_docs import YMap, load_stream

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
RST_SUFFIXES = (".rst",)
ADOC_SUFFIXES = (".adoc", ".asciidoc", ".asc")
DOC_SUFFIXES = MARKDOWN_SUFFIXES + RST_SUFFIXES + ADOC_SUFFIXES

# Stub markers: words that say "not written yet" and never count towards a section's length.
STUB = lazy_re.compile(r"\b(?:TODO|TBD|TBC|FIXME|XXX|WIP|lorem ipsum(?: dolor)?|coming soon|to be (?:written|done|"
                  r"defined|determined)|placeholder|fill (?:me )?in)\b|<[a-z][\w .-]*>|\{\{[^{}]*\}\}|\.\.\.",
                  re.IGNORECASE)
WORD = lazy_re.compile(r"[^\W_][\w'’./:-]*", re.UNICODE)
_ATX = lazy_re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = lazy_re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = lazy_re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)")
_MD_LINK = lazy_re.compile(r"(?<!!)\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<target><[^<>\[]*>|[^)\s\[]+)"
                      r"(?:\s+\"[^\"]*\")?\)")
_MD_IMAGE = lazy_re.compile(r"!\[(?P<text>[^\[\]]*)\]\((?P<target>[^)\s\[]+)")
_MD_REFDEF = lazy_re.compile(r"^ {0,3}\[(?P<text>[^\]]+)\]:\s*(?P<target>\S+)")
_HTML_HREF = lazy_re.compile(r"<a\s[^<>]*href=\"(?P<target>[^\"<>]+)\"", re.IGNORECASE)
_HTML_ID = lazy_re.compile(r"<a\s[^<>]*(?:name|id)=\"(?P<id>[^\"<>]+)\"", re.IGNORECASE)
_RST_ADORN = lazy_re.compile(r"^([=\-~^\"'`#*+<>:._])\1{2,}\s*$")
_RST_LINK = lazy_re.compile(r"`(?P<text>[^`<]*)<(?P<target>[^>`]+)>`_{1,2}")
_RST_DOC = lazy_re.compile(r":doc:`(?:[^`<]*<)?(?P<target>[^`>]+)>?`")
_RST_TARGET = lazy_re.compile(r"^\.\. _(?P<id>[^:]+):")
_RST_FIELD = lazy_re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
_ADOC_TITLE = lazy_re.compile(r"^(={1,6}|#{1,6})[ \t]+(\S.*?)\s*$")
_ADOC_LINK = lazy_re.compile(r"(?:link:|xref:)(?P<target>[^\s\[]+)\[(?P<text>[^\[\]]*)\]")
_ADOC_XREF = lazy_re.compile(r"<<(?P<target>[^,<>]+)(?:,[^<>]*)?>>")
_ADOC_ANCHOR = lazy_re.compile(r"^\[(?:\[(?P<a>[^\],]+)(?:,[^\]]*)?\]|#(?P<b>[\w-]+)(?:[^\w\]-][^\]]*)?)\]\s*$")
_ADOC_ATTR = lazy_re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    line: int
    col: int = 1
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    target: str
    line: int
    col: int
    text: str = ""


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced code block: its info-string language and its first and last content lines."""

    lang: str
    start: int
    end: int


@dataclass
class Section:
    """A heading and everything below it up to the next heading of the same or a higher level."""

    heading: Heading
    start: int  # first body line (1-based)
    end: int    # last body line, subsections included
    words: int = 0
    own_words: int = 0  # words before the first subsection


@dataclass
class Markup:
    path: str
    format: str  # "markdown", "rst" or "asciidoc"
    lines: list[str]
    headings: list[Heading] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    fences: list[Fence] = field(default_factory=list)
    front_matter: dict = field(default_factory=dict)
    front_matter_lines: dict = field(default_factory=dict)  # key -> line
    problems: list[tuple[str, int, int]] = field(default_factory=list)  # (message, line, col) for RL001
    sections: list[Section] = field(default_factory=list)
    body_start: int = 1  # first line after the front matter
    _slug_next: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def title(self) -> Heading | None:
        return self.headings[0] if self.headings else None

    def words_between(self, start: int, end: int) -> int:
        """Words on lines start..end (1-based, inclusive), stub markers and markup excluded."""
        return count_words("\n".join(self.lines[start - 1:end]))

    def text_between(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1:end])

    def section_of(self, heading: Heading) -> Section:
        return next(s for s in self.sections if s.heading is heading)

    def subsections(self, section: Section) -> list[Section]:
        return [s for s in self.sections if section.start <= s.heading.line <= section.end]

    def is_stub(self, min_words: int) -> bool:
        return self.words_between(self.body_start, len(self.lines)) < max(min_words, 1)


def count_words(text: str) -> int:
    text = re.sub(r"\]\([^()]*\)", "]", text)  # link targets are not words
    text = re.sub(r"https?://\S+", " ", text)
    text = STUB.sub(" ", text)
    return len(WORD.findall(text))


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading: lowercased, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\[\]]*)\]\([^()]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"<[^<>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE).replace(" ", "-")


def plain(text: str) -> str:
    """Heading text without inline markup (emphasis, code, links)."""
    text = re.sub(r"!?\[([^\[\]]*)\]\([^()]*\)", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()


def doc_format(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(MARKDOWN_SUFFIXES):
        return "markdown"
    if lower.endswith(RST_SUFFIXES):
        return "rst"
    if lower.endswith(ADOC_SUFFIXES):
        return "asciidoc"
    return None


def parse(path: str, text: str) -> Markup:
    """The outline, links, anchors and front matter of one document."""
    fmt = doc_format(path) or "markdown"
    doc = Markup(path, fmt, text.splitlines())
    if fmt == "markdown":
        _markdown(doc)
    elif fmt == "rst":
        _rst(doc)
    else:
        _asciidoc(doc)
    _sections(doc)
    return doc


def _front_matter(doc: Markup) -> None:
    lines = doc.lines
    if not lines or lines[0].strip() != "---":
        return
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return
    stream = load_stream("\n".join(lines[1:end]) + "\n", clamp=False)  # the end is the closing `---` line
    doc.body_start = end + 2
    for issue in stream.issues:
        doc.problems.append((f"invalid front matter in {doc.path}: {issue.message}.", issue.line + 1, issue.col))
    data = stream.documents[0].data if stream.documents else None
    if isinstance(data, YMap):
        doc.front_matter = dict(data)
        doc.front_matter_lines = {str(k): pos[0] + 1 for k, pos in data.kpos.items()}
    elif data is not None and not stream.issues:
        doc.problems.append((f"front matter of {doc.path} is not a mapping.", 2, 1))


def _add_heading(doc: Markup, level: int, raw: str, line: int, col: int = 1) -> None:
    text = plain(raw)
    base = github_slug(raw) if doc.format == "markdown" else _generic_slug(text, doc.format)
    n = doc._slug_next.get(base, 0)  # where the last search for this slug stopped: repeats stay linear
    anchor = base if n == 0 else f"{base}-{n}"
    while anchor in doc.anchors:
        n += 1
        anchor = f"{base}-{n}"
    doc._slug_next[base] = n
    doc.anchors.add(anchor)
    doc.headings.append(Heading(level, text, line, col, anchor))


def _generic_slug(text: str, fmt: str) -> str:
    if fmt == "asciidoc":  # Asciidoctor's default ids: "_" prefix, lower case, "_" separators
        return "_" + re.sub(r"[^\w]+", "_", text.lower()).strip("_")
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-")  # docutils


def _links(doc: Markup, line_no: int, line: str, patterns) -> None:
    for pattern in patterns:
        for m in pattern.finditer(line):
            target = m.group("target").strip("<>")
            text = m.groupdict().get("text") or ""
            doc.links.append(Link(target, line_no, m.start("target") + 1, text))


def _markdown(doc: Markup) -> None:
    _front_matter(doc)
    lines = doc.lines
    fence = None
    previous_blank = True
    for i in range(doc.body_start - 1, len(lines)):
        line, no = lines[i], i + 1
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0][0] and len(match.group(1)) >= len(fence[0]) \
                    and not line.strip()[len(match.group(1)):].strip():
                doc.fences.append(Fence(fence[1], fence[2], no - 1))
                fence = None
            continue
        if match:
            fence = (match.group(1), match.group(2).lower(), no + 1)
            continue
        if line.startswith("    ") and previous_blank:  # indented code
            continue
        atx = _ATX.match(line)
        if atx:
            _add_heading(doc, len(atx.group(1)), atx.group(2) or "", no, line.index("#") + 1)
            previous_blank = False
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        setext = _SETEXT.match(nxt)
        if setext and line.strip() and not _is_block_start(line) and (
                setext.group(1)[0] == "=" or len(setext.group(1)) >= 2):
            if not (setext.group(1)[0] == "-" and _looks_like_table(line)):
                _add_heading(doc, 1 if setext.group(1)[0] == "=" else 2, line.strip(), no, 1)
        for m in _HTML_ID.finditer(line):
            doc.anchors.add(m.group("id").lower())
        _links(doc, no, line, (_MD_LINK, _MD_IMAGE, _MD_REFDEF, _HTML_HREF))
        previous_blank = not line.strip()
    if fence is not None:
        doc.fences.append(Fence(fence[1], fence[2], len(lines)))


def _is_block_start(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("- ", "* ", "+ ", ">", "|")) or bool(re.match(r"\d+[.)] ", stripped)) or \
        _SETEXT.match(line) is not None


def _looks_like_table(line: str) -> bool:
    return "|" in line


def _rst(doc: Markup) -> None:
    lines = doc.lines
    styles: list[tuple[str, bool]] = []
    i = 0
    while i < len(lines):
        line, no = lines[i], i + 1
        if len(doc.headings) < 2:  # docinfo fields follow the title
            field_match = _RST_FIELD.match(line)
            if field_match:
                key = field_match.group("key")
                doc.front_matter[key] = field_match.group("value").strip()
                doc.front_matter_lines[key] = no
        over = _RST_ADORN.match(line)
        if over and i + 2 < len(lines) and lines[i + 1].strip() and _RST_ADORN.match(lines[i + 2]) \
                and lines[i + 2].strip()[0] == line.strip()[0]:
            style = (line.strip()[0], True)
            if style not in styles:
                styles.append(style)
            _add_heading(doc, styles.index(style) + 1, lines[i + 1].strip(), no + 1)
            i += 3
            continue
        under = _RST_ADORN.match(lines[i + 1]) if i + 1 < len(lines) else None
        if under and line.strip() and not _RST_ADORN.match(line) and \
                len(lines[i + 1].rstrip()) >= len(line.rstrip()) and not line.startswith((" ", "\t")):
            style = (lines[i + 1].strip()[0], False)
            if style not in styles:
                styles.append(style)
            _add_heading(doc, styles.index(style) + 1, line.strip(), no)
            i += 2
            continue
        target = _RST_TARGET.match(line)
        if target:
            doc.anchors.add(_generic_slug(target.group("id"), "rst"))
        _links(doc, no, line, (_RST_LINK, _RST_DOC))
        i += 1


def _asciidoc(doc: Markup) -> None:
    in_block = None
    in_header = True
    for i, line in enumerate(doc.lines):
        no = i + 1
        stripped = line.strip()
        if stripped in ("----", "....", "````", "++++") or stripped.startswith("```"):
            if in_block is None:
                in_block = stripped[:4]
                lang = stripped[3:].strip() if stripped.startswith("```") else ""
                doc.fences.append(Fence(lang.lower(), no + 1, no + 1))
            elif stripped[:4] == in_block:
                last = doc.fences[-1]
                doc.fences[-1] = Fence(last.lang, last.start, no - 1)
                in_block = None
            continue
        if in_block is not None:
            continue
        title = _ADOC_TITLE.match(line)
        if title:
            _add_heading(doc, len(title.group(1)), title.group(2), no)
            if len(title.group(1)) > 1:
                in_header = False
            continue
        attr = _ADOC_ATTR.match(line)
        if attr and in_header:
            key = attr.group("key")
            doc.front_matter[key] = attr.group("value").strip()
            doc.front_matter_lines[key] = no
        anchor = _ADOC_ANCHOR.match(stripped)
        if anchor:
            doc.anchors.add((anchor.group("a") or anchor.group("b")).lower())
        _links(doc, no, line, (_ADOC_LINK, _ADOC_XREF))


def _sections(doc: Markup) -> None:
    total = len(doc.lines)
    headings = doc.headings
    for n, heading in enumerate(headings):
        end = total
        first_child = None
        stop = len(headings)
        for k in range(n + 1, len(headings)):
            later = headings[k]
            if later.level <= heading.level:
                end = later.line - 1
                stop = k
                break
            if first_child is None:
                first_child = later.line
        start = heading.line + (2 if _underlined(doc, heading) else 1)
        section = Section(heading, start, end)
        section.words = doc.words_between(start, end) - sum(
            count_words(h.text) for h in headings[n + 1:stop] if start <= h.line <= end)
        section.own_words = doc.words_between(start, (first_child or end + 1) - 1)
        doc.sections.append(section)


def _underlined(doc: Markup, heading: Heading) -> bool:
    if heading.line >= len(doc.lines):
        return False
    below = doc.lines[heading.line]
    return bool(_SETEXT.match(below) or _RST_ADORN.match(below))
