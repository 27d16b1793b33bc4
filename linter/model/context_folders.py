"""Folders whose files demonstrate or test rather than deploy: test, example and docs trees.

Without `inputs.manifests`, what lies there is read as context (selectors and cross-references see it)
but not judged, as long as the repository has something else to judge: argo-cd keeps 346 of its 816
manifests there, sloth its generated example alert files.
"""
from __future__ import annotations

import posixpath
import re

from .. import lazy_re

CONTEXT_FOLDERS = lazy_re.compile(r"(^|/)(tests?|testdata|test-data|e2e|fixtures?|examples?|samples?|docs?)(/|$)",
                             re.IGNORECASE)


def in_context_folder(path: str, base: str = "") -> bool:
    """``path`` (repository-relative) lies in a test, example or docs folder of the project at ``base``."""
    prefix = base + "/" if base else ""
    local = path[len(prefix):] if prefix and path.startswith(prefix) else path
    return bool(CONTEXT_FOLDERS.search(posixpath.dirname(local)))
