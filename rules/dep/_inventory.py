"""The inventory that documents external dependencies (``_external``), shared by DEP001, DEP004 and DEP005.

The inventory is a Backstage ``catalog-info.yaml`` (``spec.dependsOn``, ``spec.consumesApis``), ``docs/dependencies.md`` or a
"Dependencies" section of any document (the DR plan's included); a dependency is documented when the
inventory names its host, its distinctive domain label or its env name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from readylint.findings import Location
from readylint.model.doc_requirements import DocRequirement
from readylint.model.docs import docs
from readylint.model.objects import mapping, sequence
from readylint.rules.dep._external import ExternalDependency
from readylint.rules.ops._alertmanager import catalog_entities

INVENTORY = DocRequirement(
    name="dependency inventory",
    paths=("DEPENDENCIES.md", "docs/dependencies*.md", "docs/external-dependencies*.md", "docs/**/dependencies*.md",
           "docs/dependencies*.rst", "docs/dependencies*.adoc"),
    headings=(r"dependenc|upstream services|third[- ]party services|external services",),
    exclude_headings=(r"install|build|develop|librar|package|python|node|npm|go modules|maven|gradle|"
                      r"prerequisite|requirement|dev[- ]?dependenc|license",),
    exclude_paths=("CHANGELOG.md", "**/CHANGELOG.md", "LICENSE*", "**/NOTICE*"), check_links=False,
    fix="Add docs/dependencies.md (or catalog-info.yaml spec.dependsOn) listing each external service with its "
        "owner, purpose and SLA.")


@dataclass
class Inventory:
    """Where dependencies are listed: (path, first line, text) per source; ``location`` of the first."""

    sources: list = field(default_factory=list)  # (label, Location, text, doc or None, start line)

    @property
    def location(self) -> Location | None:
        return self.sources[0][1] if self.sources else None

    @property
    def where(self) -> str:
        return self.sources[0][0] if self.sources else ""

    def names(self, dep: ExternalDependency):
        """(Location, line) of the first inventory line naming ``dep``, else None."""
        for _, location, text, doc, start in self.sources:
            for offset, line in enumerate(text.splitlines()):
                lowered = line.lower()
                if any(mentions(name, lowered) for name in dep.names):
                    return Location(location.path, start + offset, 1), line.strip()
        return None


def mentions(name: str, text: str) -> bool:
    return re.search(r"(?<![\w.-])" + re.escape(name.lower()) + r"(?![\w-])", text) is not None


def inventory(index) -> Inventory:
    cached = index.__dict__.get("_dependency_inventory")
    if cached is not None:
        return cached
    found = Inventory()
    for path, entity in catalog_entities(index):
        spec = mapping(entity.get("spec")) or {}
        for key in ("dependsOn", "consumesApis"):
            refs = sequence(spec.get(key))
            if refs:
                line = spec.kpos[key][0]
                text = "\n".join([key] + [str(r) for r in refs])
                found.sources.append((f"{path} spec.{key}", Location(path, line, spec.kpos[key][1]),
                                      text.replace(":", " ").replace("/", " "), None, line))
    docset = docs(index)
    dedicated = docset.find(*INVENTORY.paths)
    for path in dedicated:
        doc = docset.get(path)
        if doc is not None:
            start = doc.body_start
            found.sources.append((path, docset.location(doc), doc.text_between(start, len(doc.lines)), doc, start))
    skipped = set(dedicated) | set(docset.find(*INVENTORY.exclude_paths))
    for doc in docset.documents():
        if doc.path in skipped:
            continue
        for section in doc.sections:
            text = section.heading.text
            if re.search(INVENTORY.headings[0], text, re.IGNORECASE) and not re.search(
                    INVENTORY.exclude_headings[0], text, re.IGNORECASE):
                start = section.heading.line
                found.sources.append((f"{doc.path} section '{text}'", Location(doc.path, start, section.heading.col),
                                      doc.text_between(start, section.end), doc, start))
    index.__dict__["_dependency_inventory"] = found
    return found
