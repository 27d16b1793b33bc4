"""Where a path of keys and list indexes lands in a positioned YAML or JSON tree (a schema error's path)."""
from __future__ import annotations

from .yaml_docs import YMap, YSeq


def deepest_position(node, path) -> tuple[int, int]:
    """(line, column) of the deepest existing key or item along ``path``; the node's own start otherwise."""
    line, col = getattr(node, "line", 1), getattr(node, "col", 1)
    for part in path:
        if isinstance(node, YMap) and part in node:
            line, col, _ = node.kpos[part]
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, col = node.ipos[part]
            node = node[part]
        else:
            break
    return line, col
