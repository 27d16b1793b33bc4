"""One finding, one place: the same defect rendered from one template several times is one result.

When a template renders once per environment or Argo CD Application, each render yields the same
finding on the same template line. They become one finding that names every render (in its message,
its related locations and `properties.renders`); a render whose message differs keeps it as a related
location. Waived and active findings are never merged with each other.
"""
from __future__ import annotations

from dataclasses import replace

from .findings import Related

MERGE_KEY = "_renderKey"  # finding property set by helm/locate.py: (what makes renders the same finding, origin)


def merge(findings: list) -> list:
    groups: dict[tuple, list] = {}
    seen: dict[tuple, int] = {}
    out = []
    rendered = {_place(f) for f in findings if f.properties.get(MERGE_KEY) is not None}
    for finding in findings:
        info = finding.properties.get(MERGE_KEY)
        if info is None:
            if _place(finding) not in rendered:  # a kustomize base read as is: its renders say it better
                out.append(finding)
            continue
        merge_key, origin = info
        key = _place(finding) + (finding.level, merge_key if merge_key is not None else id(finding))
        # two findings of one render never merge: the n-th of each render goes with the n-th of the others
        nth = seen[(key, origin)] = seen.get((key, origin), -1) + 1
        groups.setdefault(key + (nth,), []).append((origin, finding))
    for members in groups.values():
        out.append(_one(sorted(members, key=lambda m: (m[0], m[1].message))))
    return _distinct(out)


def _distinct(findings: list) -> list:
    """Two renders that carry the same label (e.g. an ApplicationSet and its fasttemplate twin with the same
    name) give the very same finding twice: keep one, with the related locations of both."""
    first: dict[tuple, int] = {}
    out = []
    for finding in findings:
        key = _place(finding) + (finding.level, finding.subject, finding.message)
        if key not in first:
            first[key] = len(out)
            out.append(finding)
            continue
        kept = out[first[key]]
        extra = tuple(item for item in finding.related if item not in kept.related)
        if extra:
            out[first[key]] = replace(kept, related=kept.related + extra)
    return out


def _one(members):
    origin, first = members[0]
    origins = list(dict.fromkeys(o for o, _ in members))
    related = list(first.related)
    differing = []
    words = sorted({w for _, m in members if m.subject.startswith("k8s:") for w in m.subject.split("/")[-2:] if w},
                   key=len, reverse=True)
    for other_origin, other in members[1:]:
        if _generic(other, words) != _generic(first, words):
            related.append(Related(other.location, f"In {other_origin}: {other.message}"))
            differing.append(f"in {other_origin}: {other.message.rstrip()}")
        related += [item for item in other.related if item not in related]
    properties = {k: v for k, v in first.properties.items() if k != MERGE_KEY}
    message = first.message.rstrip()
    rendered_by_readylint = "render" in properties.get("renderedLocation", {})
    if rendered_by_readylint or len(origins) > 1:
        properties["renders"] = origins
        message += f" Rendered {'for' if rendered_by_readylint else 'in'} {_and(origins)}."  # all in `renders`
        if differing:
            message += " It differs " + "; ".join(differing)
    return replace(first, message=message, related=tuple(related), properties=properties)


def _place(finding) -> tuple:
    loc = finding.location
    return finding.code, loc.path, loc.line, loc.col, finding.key_path, finding.suppressed_by is None


def _generic(finding, words) -> str:
    """The message without the names that change from render to render (namespaces, object names)."""
    text = finding.message
    for word in words:
        text = text.replace(word, "\x00")
    return text


def _and(names: list[str], most: int = 3, budget: int = 120) -> str:
    """At most ``most`` names within about ``budget`` characters, so that a chart rendered many times keeps a
    readable message (every render stays in the related locations and `properties.renders`)."""
    shown = names[:1]
    for name in names[1:most]:
        if len(", ".join(shown + [name])) > budget:
            break
        shown.append(name)
    if len(shown) < len(names):
        return ", ".join(shown) + f" and {len(names) - len(shown)} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
