"""The project's own licence: which file declares it and, roughly, which licence it is (COMP006)."""
from __future__ import annotations

import re

from .. import lazy_re
from ..findings import Location

LICENCE_NAMES = lazy_re.compile(r"(LICEN[CS]E|COPYING|COPYRIGHT)([-._][\w-]+)?(\.(md|txt|rst|adoc|markdown))?", re.I)
KNOWN = (("Apache-2.0", lazy_re.compile(r"Apache License,?\s+Version 2\.0", re.I)),
         ("MIT", lazy_re.compile(r"Permission is hereby granted, free of charge", re.I)),
         ("GPL-3.0", lazy_re.compile(r"GNU GENERAL PUBLIC LICENSE\s+Version 3", re.I)),
         ("GPL-2.0", lazy_re.compile(r"GNU GENERAL PUBLIC LICENSE\s+Version 2", re.I)),
         ("AGPL-3.0", lazy_re.compile(r"GNU AFFERO GENERAL PUBLIC LICENSE", re.I)),
         ("LGPL", lazy_re.compile(r"GNU LESSER GENERAL PUBLIC LICENSE", re.I)),
         ("MPL-2.0", lazy_re.compile(r"Mozilla Public License,?\s+(Version|v\.?)\s*2\.0", re.I)),
         ("BSD-3-Clause", lazy_re.compile(r"Neither the name of", re.I)),
         ("BSD-2-Clause", lazy_re.compile(r"Redistribution and use in source and binary forms", re.I)),
         ("ISC", lazy_re.compile(r"Permission to use, copy, modify, and/or distribute", re.I)),
         ("Unlicense", lazy_re.compile(r"This is free and unencumbered software", re.I)))


def licence_file(index) -> str | None:
    """The top-level licence file (LICENSE, LICENCE, COPYING, COPYRIGHT with common extensions), or a
    REUSE ``LICENSES/`` folder's first file."""
    top = sorted(p for p in index.repo.files if "/" not in p and LICENCE_NAMES.fullmatch(p))
    top.sort(key=lambda p: (not p.upper().startswith("LICEN"), len(p)))
    if top:
        return top[0]
    reuse = sorted(p for p in index.repo.files if p.upper().startswith("LICENSES/") and p.count("/") == 1)
    return reuse[0] if reuse else None


def identify(text: str | None) -> str:
    """A best-effort SPDX name for a licence text, or "" when not recognised (a hint for messages only)."""
    if not text:
        return ""
    head = text[:4000]
    for name, regex in KNOWN:
        if regex.search(head):
            return name
    return ""


def location(path: str) -> Location:
    return Location(path, 1, 1)
