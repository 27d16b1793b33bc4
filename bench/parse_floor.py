#!/usr/bin/env python3
"""The parse floor: the least work any YAML linter must do on a tree.

Usage: python3 bench/parse_floor.py TREE

Reads every .yaml/.yml file under TREE and composes every document with the fastest C-accelerated
parser available: PyYAML's ``yaml.compose_all(text, Loader=yaml.CSafeLoader)`` when PyYAML was built
with libyaml, else ruamel.yaml's C parser (``_ruamel_yaml.CParser``) composing nodes. Nothing is
checked or reported; the script prints one JSON line: parser, files, documents, unparsable files.

benchmark.py runs it as a fresh interpreter, so its wall time includes interpreter start-up and the
parser import, as readylint's does.
"""
from __future__ import annotations

import json
import os
import sys


def _composer():
    """(name, compose_all(text) -> iterator of nodes) for the fastest parser installed."""
    try:
        import yaml

        if getattr(yaml, "__with_libyaml__", False):
            def compose_all(text):
                return yaml.compose_all(text, Loader=yaml.CSafeLoader)

            return "pyyaml-libyaml", compose_all
    except ImportError:
        pass
    from _ruamel_yaml import CParser  # ships with ruamel.yaml.clib
    from ruamel.yaml.resolver import VersionedResolver

    class _Loader(CParser, VersionedResolver):
        def __init__(self, stream):
            CParser.__init__(self, stream)
            VersionedResolver.__init__(self, loader=self)

    def compose_all(text):
        loader = _Loader(text)
        try:
            while loader.check_node():
                yield loader.get_node()
        finally:
            loader.dispose()

    return "ruamel-cparser", compose_all


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    name, compose_all = _composer()
    files = documents = bad = 0
    for dirpath, dirnames, filenames in os.walk(argv[1]):
        dirnames.sort()
        for fname in sorted(filenames):
            if not fname.endswith((".yaml", ".yml")):
                continue
            files += 1
            with open(os.path.join(dirpath, fname), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
            try:
                for node in compose_all(text):
                    if node is not None:
                        documents += 1
            except Exception:  # noqa: BLE001 - a broken file costs what it costs; count it and go on
                bad += 1
    print(json.dumps({"parser": name, "files": files, "documents": documents, "unparsable": bad}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
