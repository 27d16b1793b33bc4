"""The Applications an Argo CD ApplicationSet generates, computed from this repository alone.

Argo CD's own rules (applicationset/generators): list, git directories and git files generators give
parameter sets; matrix combines two generators (the second sees the first's parameters), merge
overrides a base generator's sets by `mergeKeys`; `selector` filters them; a generator's `template`
overrides the ApplicationSet's. The template is filled in with fasttemplate (`{{path.basename}}`, flat
dotted names) or, with `goTemplate: true`, a small subset of Go templates (field paths, `index` and
a few sprig functions). Cluster, SCM, pull-request, plugin and cluster-decision generators need a live
Argo CD; they are reported, not guessed.
"""
from __future__ import annotations

import json
import posixpath
import re

from .. import lazy_re
from ..inputs.yaml_docs import YMap, YSeq, load_stream
from ..model.objects import mapping, sequence

SUPPORTED = ("list", "git", "matrix", "merge")
MODIFIERS = {"selector", "values", "template"}
MAX_NESTING = 3  # Argo CD allows matrix/merge inside matrix/merge one level deep; be a little lenient
MAX_PARAMETER_SETS = 500
MAX_FILE_BYTES = 1024 * 1024
FAST = lazy_re.compile(r"\{\{([^{}]*)\}\}")
GO_ACTION = lazy_re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)


class Unsupported(Exception):
    """A generator or template expression readylint does not evaluate (the message says which)."""


def sanitize(name: str) -> str:
    """Argo CD's `SanitizeName` (`basenameNormalized`, the `normalize` function)."""
    return re.sub(r"[^-a-z0-9.]", "-", str(name).lower())[:253].strip("-.")


def go_str(value) -> str:
    """How Go prints a parameter value inside a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class Generators:
    """Parameter sets of one ApplicationSet's generators (reads repository files through ``reader``)."""

    def __init__(self, go: bool, ours, list_all, read):
        self.go = go
        self.ours = ours  # repoURL -> whether it is this repository
        self.list_all = list_all  # every repository file
        self.read = read  # repo path -> text or None
        self._dirs: list[str] | None = None

    def params(self, generator: YMap, outer: dict | None = None, depth: int = 0) -> list[dict]:
        """Parameter sets of ``generator``; ``outer`` are a matrix's earlier parameters."""
        if outer:
            generator = substitute(generator, outer, self.go, strict=False)
        kinds = [k for k in generator if k not in MODIFIERS]
        if len(kinds) != 1 or kinds[0] not in SUPPORTED:
            names = ", ".join("git files" if k == "git" else k for k in sorted(kinds)) or "empty"
            raise Unsupported(f"{names} generators are not evaluated (they need a live Argo CD); only list, git, "
                              "matrix and merge generators are rendered")
        kind = kinds[0]
        body = mapping(generator[kind]) or YMap()
        if kind in ("matrix", "merge") and depth >= MAX_NESTING:
            raise Unsupported(f"{kind} generators nested more than {MAX_NESTING} deep are not evaluated")
        found = getattr(self, "_" + kind)(body, depth)
        found = [p for p in found if _selected(p, mapping(generator.get("selector")), self.go)]
        if len(found) > MAX_PARAMETER_SETS:
            raise Unsupported(f"more than {MAX_PARAMETER_SETS} generated Applications are not evaluated")
        return found

    # -- generators ----------------------------------------------------------------------------------------

    def _list(self, body, depth):
        elements = [e for e in sequence(body.get("elements")) if mapping(e)]
        if isinstance(body.get("elementsYaml"), str):
            docs = [d.data for d in load_stream(body["elementsYaml"]).documents if d.data is not None]
            elements += [e for e in (docs[0] if docs and isinstance(docs[0], list) else []) if isinstance(e, dict)]
        out = []
        for element in elements:
            if self.go:
                out.append(_plain(element))
                continue
            params = {}
            for key, value in element.items():
                if key == "values" and isinstance(value, dict):
                    params.update({f"values.{k}": go_str(v) for k, v in value.items()})
                else:
                    params[str(key)] = go_str(value)
            out.append(params)
        return out

    def _git(self, body, depth):
        if not self.ours(body.get("repoURL")):
            raise Unsupported(f"git generators of another repository ({body.get('repoURL')}) are not evaluated")
        prefix = str(body.get("pathParamPrefix") or "")
        if sequence(body.get("directories")):
            sets = [self._path_params(d, None, prefix) for d in self._directories(sequence(body["directories"]))]
        elif sequence(body.get("files")):
            sets = []
            for path in self._files(sequence(body["files"])):
                for content in self._file_objects(path):
                    sets.append({**(_plain(content) if self.go else _flatten(content)),
                                 **self._path_params(posixpath.dirname(path), path, prefix)})
        else:
            raise Unsupported("a git generator without directories or files is not evaluated")
        values = mapping(body.get("values"))
        for params in sets if values else ():
            try:
                filled = {str(k): go_str(_text(str(v), params, self.go, strict=True)) for k, v in values.items()}
            except Unsupported as why:
                raise Unsupported(f"the git generator's values cannot be filled in: {why}") from None
            if self.go:
                params["values"] = filled
            else:
                params.update({f"values.{k}": v for k, v in filled.items()})
        return sets

    def _matrix(self, body, depth):
        children = [mapping(g) or YMap() for g in sequence(body.get("generators"))]
        if len(children) != 2:
            raise Unsupported("a matrix generator needs exactly two generators")
        out = []
        for first in self.params(children[0], None, depth + 1):
            for second in self.params(children[1], first, depth + 1):
                out.append(_deep_merge(second, first) if self.go else {**second, **first})
        return out

    def _merge(self, body, depth):
        children = [mapping(g) or YMap() for g in sequence(body.get("generators"))]
        keys = [str(k) for k in sequence(body.get("mergeKeys"))]
        if len(children) < 2 or not keys:
            raise Unsupported("a merge generator needs two or more generators and mergeKeys")
        base = self.params(children[0], None, depth + 1)
        for child in children[1:]:
            overrides = {}
            for params in self.params(child, None, depth + 1):
                overrides.setdefault(_merge_key(params, keys), params)
            for i, params in enumerate(base):
                override = overrides.get(_merge_key(params, keys))
                if override is not None:
                    base[i] = _deep_merge(params, override) if self.go else {**params, **override}
        return base

    # -- repository paths ----------------------------------------------------------------------------------

    def _path_params(self, directory: str, file: str | None, prefix: str) -> dict:
        info = {"path": directory, "basename": posixpath.basename(directory),
                "basenameNormalized": sanitize(posixpath.basename(directory))}
        if file is not None:
            info.update(filename=posixpath.basename(file), filenameNormalized=sanitize(posixpath.basename(file)))
        if self.go:
            info["segments"] = directory.split("/")
            return {prefix: {"path": info}} if prefix else {"path": info}
        name = f"{prefix}.path" if prefix else "path"
        out = {name if k == "path" else f"{name}.{k}": v for k, v in info.items()}
        out.update({f"{name}[{i}]": s for i, s in enumerate(directory.split("/")) if s})
        return out

    def _directories(self, patterns) -> list[str]:
        if self._dirs is None:
            dirs = set()
            for path in self.list_all():
                parts = path.split("/")[:-1]
                dirs.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
            self._dirs = sorted(dirs)
        include = [_glob(str(p["path"])) for p in patterns if mapping(p) and p.get("path") and not p.get("exclude")]
        exclude = [_glob(str(p["path"])) for p in patterns if mapping(p) and p.get("path") and p.get("exclude")]
        return [d for d in self._dirs if any(r.match(d) for r in include) and not any(r.match(d) for r in exclude)]

    def _files(self, patterns) -> list[str]:
        include = [_doublestar(str(p["path"])) for p in patterns if mapping(p) and p.get("path")
                   and not p.get("exclude")]
        exclude = [_doublestar(str(p["path"])) for p in patterns if mapping(p) and p.get("path") and p.get("exclude")]
        return sorted(f for f in self.list_all() if any(r.match(f) for r in include)
                      and not any(r.match(f) for r in exclude))

    def _file_objects(self, path: str) -> list:
        """The parameter objects of a git-files generator file: one mapping, or each mapping of a list."""
        text = self.read(path)
        if text is None:
            raise Unsupported(f"{path} could not be read")
        stream = load_stream(text)
        docs = [d.data for d in stream.documents if d.data is not None]
        if any(issue.fatal for issue in stream.issues) or len(docs) > 1 or (
                docs and not isinstance(docs[0], (dict, list))):
            raise Unsupported(f"{path} is not one YAML or JSON object or list")
        if not docs:
            return [{}]
        return [docs[0]] if isinstance(docs[0], dict) else [d for d in docs[0] if isinstance(d, dict)]


# -- parameters ----------------------------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _flatten(value, prefix: str = "") -> dict:
    """jeremywohl/flatten DotStyle, values printed as Go prints them (fasttemplate parameters)."""
    out = {}
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, (dict, list)) and item:
            out.update(_flatten(item, name))
        else:
            out[name] = go_str(item)
    return out


def _deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _lookup(params: dict, dotted: str):
    node = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _merge_key(params: dict, keys: list[str]) -> str:
    return json.dumps([go_str(params[k]) if k in params else go_str(_lookup(params, k)) for k in keys])


def _selected(params: dict, selector, go: bool) -> bool:
    """A generator's `selector` (matchLabels, matchExpressions) applied to a parameter set."""
    if not selector:
        return True

    def value(key):
        found = params.get(key) if key in params else (_lookup(params, key) if go else None)
        return None if found is None else go_str(found)

    for key, wanted in (mapping(selector.get("matchLabels")) or {}).items():
        if value(str(key)) != go_str(wanted):
            return False
    for expression in sequence(selector.get("matchExpressions")):
        expression = mapping(expression) or {}
        have, operator = value(str(expression.get("key"))), expression.get("operator")
        values = [go_str(v) for v in sequence(expression.get("values"))]
        if (operator == "In" and have not in values) or (operator == "NotIn" and have in values) or (
                operator == "Exists" and have is None) or (operator == "DoesNotExist" and have is not None):
            return False
    return True


def _glob(pattern: str):
    """Go's path.Match: `*` and `?` stay within one folder (git directories generator)."""
    regex = "".join("[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch) for ch in pattern.strip("/"))
    return re.compile(regex + r"\Z")


def _doublestar(pattern: str):
    """doublestar globbing (git files generator): `**` spans folders, `*` and `?` do not, `{a,b}` alternates."""
    out, i, text = [], 0, pattern.strip("/")
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        elif text[i] == "{" and "}" in text[i:]:
            end = text.index("}", i)
            out.append("(?:" + "|".join(re.escape(a) for a in text[i + 1:end].split(",")) + ")")
            i = end + 1
        elif text[i] == "[" and "]" in text[i + 1:]:
            end = text.index("]", i + 1)
            out.append("[" + text[i + 1:end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


# -- templates -----------------------------------------------------------------------------------------------

def substitute(node, params: dict, go: bool, strict: bool = True):
    """A deep copy of ``node`` (keeping YAML positions) with every placeholder filled from ``params``.

    Strict (an Application): a placeholder that cannot be filled raises Unsupported. Not strict (a
    matrix's second generator): it stays as written, as Argo CD leaves it."""
    def copy(value):
        if isinstance(value, YMap):
            out = YMap((_text(k, params, go, strict) if isinstance(k, str) else k, copy(v)) for k, v in value.items())
            out.line, out.col = value.line, value.col
            out.kpos = {_text(k, params, go, strict) if isinstance(k, str) else k: p for k, p in value.kpos.items()}
            return out
        if isinstance(value, YSeq):
            out = YSeq(copy(v) for v in value)
            out.line, out.col, out.ipos = value.line, value.col, list(value.ipos)
            return out
        return _text(value, params, go, strict) if isinstance(value, str) else value

    return copy(node)


def _text(value: str, params: dict, go: bool, strict: bool) -> str:
    if "{{" not in value:
        return value

    def fast(match):
        tag = match.group(1).strip()
        if tag in params:
            return go_str(params[tag])
        if strict:
            raise Unsupported(f"the placeholder {{{{{tag}}}}} has no value")
        return match.group(0)

    def gotemplate(match):
        try:
            return go_str(_evaluate(match.group(1), params))
        except Unsupported:
            if strict:
                raise
            return match.group(0)

    return GO_ACTION.sub(gotemplate, value) if go else FAST.sub(fast, value)


TOKEN = lazy_re.compile(r'\s*(\(|\)|\||"(?:[^"\\]|\\.)*"|`[^`]*`|-?\d+(?:\.\d+)?|\$?\.[\w.]*|[A-Za-z_]\w*)')
FUNCTIONS = {
    "lower": lambda s: go_str(s).lower(), "upper": lambda s: go_str(s).upper(), "trim": lambda s: go_str(s).strip(),
    "normalize": lambda s: sanitize(go_str(s)), "toString": go_str, "quote": lambda s: json.dumps(go_str(s)),
    "trimPrefix": lambda p, s: go_str(s).removeprefix(go_str(p)),
    "trimSuffix": lambda p, s: go_str(s).removesuffix(go_str(p)),
    "replace": lambda old, new, s: go_str(s).replace(go_str(old), go_str(new)),
    "trunc": lambda n, s: go_str(s)[:int(n)] if int(n) >= 0 else go_str(s)[int(n):],
    "default": lambda d, v=None: v if v not in (None, "", [], {}, 0, False) else d,
    "index": lambda c, *keys: _index(c, keys),
    "printf": lambda f, *args: _printf(f, args),
}


def _evaluate(expression: str, params: dict):
    """A Go template action made of field paths, literals, parentheses, pipes and FUNCTIONS."""
    tokens, pos = [], 0
    while pos < len(expression):
        match = TOKEN.match(expression, pos)
        if match is None:
            if expression[pos:].strip():
                raise Unsupported(f"the template expression {{{{ {expression} }}}} is not evaluated")
            break
        tokens.append(match.group(1))
        pos = match.end()
    value, rest = _pipeline(tokens, params)
    if rest:
        raise Unsupported(f"the template expression {{{{ {expression} }}}} is not evaluated")
    if value is None:
        raise Unsupported(f"the template expression {{{{ {expression} }}}} has no value")
    return value


def _pipeline(tokens, params):
    value, tokens = _command(tokens, params, None)
    while tokens and tokens[0] == "|":
        value, tokens = _command(tokens[1:], params, value)
    return value, tokens


def _command(tokens, params, piped):
    if not tokens:
        raise Unsupported("an empty template command is not evaluated")
    head = tokens[0]
    if head in FUNCTIONS:
        args, tokens = [], tokens[1:]
        while tokens and tokens[0] not in ("|", ")"):
            arg, tokens = _operand(tokens, params)
            args.append(arg)
        if piped is not None:
            args.append(piped)
        try:
            return FUNCTIONS[head](*args), tokens
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise Unsupported(f"the template function {head} could not be evaluated") from exc
    if piped is not None:
        raise Unsupported(f"the template function {head} is not evaluated")
    return _operand(tokens, params)


def _operand(tokens, params):
    head = tokens[0]
    if head == "(":
        value, rest = _pipeline(tokens[1:], params)
        if not rest or rest[0] != ")":
            raise Unsupported("unbalanced parentheses in a template expression")
        return value, rest[1:]
    if head.startswith('"'):
        return json.loads(head), tokens[1:]
    if head.startswith("`"):
        return head[1:-1], tokens[1:]
    if re.fullmatch(r"-?\d+(?:\.\d+)?", head):
        return (float(head) if "." in head else int(head)), tokens[1:]
    if head.startswith((".", "$.")) or head == "$":
        path = head.lstrip("$").strip(".")
        return (_lookup(params, path) if path else params), tokens[1:]  # None: missing (`default` fills it)
    raise Unsupported(f"the template function {head} is not evaluated")


def _index(container, keys):
    for key in keys:
        container = container[int(key)] if isinstance(container, list) else container[key]
    return container


def _printf(form, args):
    text = re.sub(r"%[-+# 0]*\d*(?:\.\d+)?[sdvq]", "{}", go_str(form))
    return text.format(*(go_str(a) for a in args))
