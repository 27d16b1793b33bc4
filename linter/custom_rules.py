"""Custom rules as data: a team's own checks, declared in configuration, run like built-in rules.

An object rule names the objects it applies to (kinds, namespaces, names, a label selector, optionally a dotted
path whose every element is checked instead) and a JSON Schema each match must satisfy; a violation lands on the
key that broke the schema, or on its nearest existing parent. A document rule is a ``DocRequirement``
(model/doc_requirements.py) judged by the same code as the DOC rules. Definitions are checked when the
configuration loads, so a broken rule is a configuration error (exit 2) naming the file, line, rule and key.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from . import package_data
from .config import ConfigError
from .findings import NOT_RELEVANT
from .inputs.positions import deepest_position
from .inputs.yaml_docs import YMap, YSeq
from .registry import CUSTOM_SECTION, RuleMeta

SCHEMA_NAME = "custom-rules.schema.json"


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(package_data.read_text("readylint.schemas", SCHEMA_NAME))


def registry():
    """A referencing registry holding the custom-rules schema, so the config schema's $ref resolves offline."""
    from referencing import Registry, Resource

    document = schema()
    return Registry().with_resource(document["$id"], Resource.from_contents(document))


@dataclass(frozen=True)
class Entry:
    """One custom rule definition as written: its mapping (with positions) and the file it came from."""

    data: YMap
    source: str

    @property
    def code(self) -> str:
        return str(self.data.get("code", ""))


# -- reading and validating definitions ---------------------------------------------------------------------


def _line(node, path) -> int:
    """Line of the deepest existing key along ``path`` (keys and list indexes)."""
    return deepest_position(node, path)[0]


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(the rule)"


def _explain(error) -> tuple[str, list]:
    """A one-line problem and the path (inside the rule) it is about."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            return f"unknown key '{extra[0]}' (allowed here: {', '.join(sorted(allowed))})", path + [extra[0]]
    if error.validator == "pattern" and path and path[-1] == "code":
        return (f"{error.instance!r} is not a custom rule code: write X- and a name of capital letters, digits and "
                "hyphens, e.g. X-TEAM-LABEL"), path
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(error.context, key=lambda e: len(list(e.absolute_path)))
        return _explain(deepest)
    return error.message, path


def _fail(entry_data, number, source, path, problem, base_path=()):
    code = entry_data.get("code") if isinstance(entry_data, YMap) else None
    name = f"custom rule {code}" if isinstance(code, str) and code else f"custom rule #{number}"
    line = _line(entry_data, path)
    where = _dotted(path)
    raise ConfigError(f"{source}:{line}: {name}: {where}: {problem}")


def check_entries(items, source: str, positions=None) -> list[Entry]:
    """Validate a list of rule definitions from ``source``; the first problem raises ConfigError."""
    from jsonschema import Draft202012Validator

    if not isinstance(items, list):
        line = getattr(positions, "line", 1) if positions is not None else 1
        raise ConfigError(f"{source}:{line}: custom_rules must be a list of rules")
    rule_validator = Draft202012Validator({"$ref": "#/$defs/rule", "$defs": schema()["$defs"]})
    seen: dict[str, int] = {}
    entries = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, YMap):
            line = items.ipos[number - 1][0] if isinstance(items, YSeq) else 1
            raise ConfigError(f"{source}:{line}: custom rule #{number}: each rule must be a mapping")
        both = [k for k in ("match", "schema") if k in item] if "document" in item else []
        if both:  # the schema says so too (if/then), but its error names no key
            _fail(item, number, source, [both[0]], "not allowed together with 'document' (a rule checks objects "
                                                   "or a document, not both)")
        errors = sorted(rule_validator.iter_errors(item), key=lambda e: (len(list(e.absolute_path)), e.message))
        if errors:
            problem, path = _explain(errors[0])
            _fail(item, number, source, path, problem)
        code = item["code"]
        if code in seen:
            _fail(item, number, source, ["code"], f"{code} is defined twice in {source} (first as rule #{seen[code]})")
        seen[code] = number
        _check_semantics(item, number, source)
        entries.append(Entry(item, source))
    return entries


def _check_semantics(item: YMap, number: int, source: str) -> None:
    """What the schema cannot say: the embedded JSON Schema is valid and local, patterns compile."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if "schema" in item:
        try:
            Draft202012Validator.check_schema(item["schema"])
        except SchemaError as exc:
            path = ["schema"] + list(exc.absolute_path)
            _fail(item, number, source, path, f"not a valid JSON Schema (Draft 2020-12): {exc.message}")
        for path, ref in _refs(item["schema"], ["schema"]):
            if not str(ref).startswith("#"):
                _fail(item, number, source, path, f"$ref {ref!r} is not local: readylint makes no network call "
                                                  "and reads no other file; use $defs and '#/$defs/...' refs")
    document = item.get("document")
    if isinstance(document, YMap):
        for key in ("headings",):
            for i, pattern in enumerate(document.get(key) or ()):
                _regex(item, number, source, ["document", key, i], pattern)
        for i, section in enumerate(document.get("sections") or ()):
            if isinstance(section, YMap):
                for j, pattern in enumerate(section.get("patterns") or ()):
                    _regex(item, number, source, ["document", "sections", i, "patterns", j], pattern)


def _regex(item, number, source, path, pattern) -> None:
    try:
        re.compile(str(pattern))
    except re.error as exc:
        _fail(item, number, source, path, f"not a valid regular expression: {exc}")


def _refs(node, path):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield path + [key], value
            else:
                yield from _refs(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _refs(value, path + [i])


def entries_from_config(data: YMap, source: str, base_dir: str, root: str) -> list[Entry]:
    """``custom_rules`` of one configuration file plus the files its ``custom_rules_files`` name.

    File paths are relative to the configuration file that names them (like ``extends``).
    """
    entries = []
    if "custom_rules" in data:
        entries += check_entries(data["custom_rules"], source, data)
    files = data.get("custom_rules_files") or []
    if not isinstance(files, list):
        files = []  # the configuration schema reports the wrong type with its line
    for i, name in enumerate(files):
        line = data["custom_rules_files"].ipos[i][0]
        path = os.path.normpath(os.path.join(base_dir, str(name)))
        entries += _entries_from_file(path, shown_path(path, root), f"{source}:{line}")
    return entries


def shown_path(path: str, root: str) -> str:
    real = os.path.realpath(path)
    return os.path.relpath(real, root).replace(os.sep, "/") if real.startswith(root + os.sep) else path


def _entries_from_file(path: str, shown: str, named_at: str) -> list[Entry]:
    from .inputs.files import read_text
    from .inputs.yaml_docs import load_stream

    if not os.path.isfile(path):
        raise ConfigError(f"{named_at}: custom_rules_files: {shown} not found")
    text, problem = read_text(path, 8 * 1024 * 1024)
    if problem is not None:
        raise ConfigError(f"{shown}:{problem.line}: {problem.message}")
    stream = load_stream(text)
    if stream.issues:
        issue = stream.issues[0]
        raise ConfigError(f"{shown}:{issue.line}:{issue.col}: invalid YAML: {issue.message}")
    docs = [d for d in stream.documents if d.data is not None]
    if len(docs) != 1:
        raise ConfigError(f"{shown}:1: a custom rules file holds one YAML document: a list of rules, or a "
                          "mapping with a custom_rules list")
    data = docs[0].data
    if isinstance(data, YMap):
        extra = [k for k in data if k != "custom_rules"]
        if extra or "custom_rules" not in data:
            line = data.kpos[extra[0]][0] if extra else data.line
            raise ConfigError(f"{shown}:{line}: a custom rules file holds a list of rules or a mapping with only "
                              f"a custom_rules list{f' (unknown key {extra[0]!r})' if extra else ''}")
        return check_entries(data["custom_rules"], shown, data)
    return check_entries(data, shown, data)


def merge_entries(layers: list[list[Entry]]) -> tuple[Entry, ...]:
    """Entries of every configuration layer, base first; a later layer's rule replaces one with its code."""
    by_code: dict[str, Entry] = {}
    for entries in layers:
        for entry in entries:
            by_code.pop(entry.code, None)
            by_code[entry.code] = entry
    return tuple(by_code.values())


# -- turning definitions into rules ---------------------------------------------------------------------------


def build(entries) -> tuple[RuleMeta, ...]:
    """One RuleMeta per definition: family X, section "Custom", its check a closure over the definition."""
    metas = []
    for entry in entries:
        data = entry.data
        code = entry.code
        document = data.get("document")
        doc = {"What it does": _what(data), "Why it matters": str(data["message"]).strip(),
               "How to fix": str(data["help"]).strip(), "Example": f"Defined in `{entry.source}`."}
        check = _document_check(entry) if document is not None else _object_check(entry)
        metas.append(RuleMeta(code=code, slug=code.lower(), scope="repository" if document is not None else "object",
                              severity=str(data["level"]), confidence="high", evidence="R" if document else "M",
                              section=CUSTOM_SECTION, section_title="Custom", text=str(data["message"]).strip(),
                              doc=doc, check=check, uri=str(data["url"]) if data.get("url") else None))
    return tuple(metas)


def _what(data) -> str:
    document = data.get("document")
    if document is not None:
        where = ", ".join(f"`{p}`" for p in document.get("paths") or ()) or "a matching section"
        parts = [f"Looks for {where}"]
        if document.get("sections"):
            names = [s if isinstance(s, str) else s["name"] for s in document["sections"]]
            parts.append("with sections " + ", ".join(names))
        if document.get("facts"):
            parts.append("stating " + ", ".join(document["facts"]))
        if document.get("max_age_days"):
            parts.append(f"reviewed within {document['max_age_days']} days")
        return " ".join(parts) + "."
    match = data["match"]
    text = f"Checks every {', '.join(str(k) for k in match['kinds'])}"
    if match.get("namespaces"):
        text += f" in namespaces {', '.join(match['namespaces'])}"
    each = match.get("each")
    if each:
        text += f", element by element at `{each if isinstance(each, str) else '`, `'.join(each)}`,"
    return text + " against the rule's JSON Schema."


def _kind_matches(pattern: str, obj) -> bool:
    """``Deployment``, ``apps/Deployment`` (group) or ``apps/v1/Deployment`` / ``v1/Service`` (apiVersion)."""
    prefix, _, kind = pattern.rpartition("/")
    if not fnmatch.fnmatchcase(obj.kind, kind):
        return False
    if not prefix:
        return True
    return fnmatch.fnmatchcase(obj.api_version, prefix) or fnmatch.fnmatchcase(obj.group or "", prefix)


def _selected_objects(index, match):
    from .model.objects import mapping
    from .model.selectors import label_selector_matches

    kinds = [str(k) for k in match["kinds"]]
    namespaces = [str(n) for n in match.get("namespaces") or ()]
    names = [str(n) for n in match.get("names") or ()]
    labels = match.get("labels")
    for obj in index.objects:
        if not any(_kind_matches(k, obj) for k in kinds):
            continue
        if namespaces:
            if obj.namespace is None or not any(fnmatch.fnmatchcase(obj.namespace, n) for n in namespaces):
                continue
        elif index.is_excluded(obj):
            continue  # kube-system and the configured exclusions, unless the rule names namespaces itself
        if index.exclude_helm_hooks and obj.is_helm_hook:
            continue
        if names and not any(fnmatch.fnmatchcase(obj.name or "", n) for n in names):
            continue
        if labels is not None and not label_selector_matches(labels, mapping(obj.metadata.get("labels")) or YMap()):
            continue
        yield obj


def _elements(node, parts, path):
    """(path, node) for every element at the dotted ``parts``; lists on the way are walked."""
    if not parts:
        if isinstance(node, YSeq):
            for i, item in enumerate(node):
                yield path + [i], item
        elif node is not None:
            yield path, node
        return
    if isinstance(node, YSeq):
        for i, item in enumerate(node):
            yield from _elements(item, parts, path + [i])
    elif isinstance(node, YMap) and parts[0] in node:
        yield from _elements(node[parts[0]], parts[1:], path + [parts[0]])


def _subjects(index):
    """The subject of each object as annotations see it (a workload's subject includes its pod template)."""
    owners = {id(wl.pod_obj): wl for wl in index.workloads}
    return lambda obj: owners[id(obj)].subject() if id(obj) in owners else obj.subject()


def _segments(obj, path) -> list:
    """Address list items by their ``name`` when they have one, as the built-in rules' key paths do."""
    out, node = [], obj.data
    for part in path:
        if isinstance(part, int) and isinstance(node, YSeq) and part < len(node):
            item = node[part]
            name = item.get("name") if isinstance(item, YMap) else None
            out.append(("name", name) if isinstance(name, str) and name else part)
            node = item
        else:
            out.append(part)
            node = node.get(part) if isinstance(node, YMap) else None
    return out


def _object_check(entry: Entry):
    data = entry.data
    match = data["match"]
    each = match.get("each")
    paths = [each] if isinstance(each, str) else list(each or ())
    rule_schema = data["schema"]
    help_text = str(data["help"]).strip()

    def check(index, opts):
        from jsonschema import Draft202012Validator

        validator = Draft202012Validator(_plain(rule_schema))
        subject_of = _subjects(index)
        for obj in _selected_objects(index, match):
            subject = subject_of(obj)
            targets = ([(p, n) for dotted in paths for p, n in _elements(obj.data, dotted.split("."), [])]
                       if paths else [([], obj.data)])
            if not targets:
                yield subject.not_applicable(NOT_RELEVANT, f"{subject.display} has nothing at {', '.join(paths)}")
                continue
            failed = False
            for base, node in targets:
                for error in _violations(validator, node):
                    failed = True
                    where, problem = _locate(error)
                    segments = _segments(obj, base + where)
                    message = f"{subject.display}: {_describe(segments, problem)}. {help_text}"
                    yield subject.fail(message, at=obj.at(*segments) if segments else obj.name_at(),
                                       key_path=_key_path(segments, problem))
            if not failed:
                yield subject.passed(f"{len(targets)} checked" if paths else "satisfies the rule's schema")

    return check


def _plain(value):
    """The rule's schema as plain dicts and lists (positions dropped), for jsonschema."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _violations(validator, node):
    """Each leaf error once: anyOf/oneOf collapse to their best match."""
    from jsonschema.exceptions import best_match

    for error in sorted(validator.iter_errors(node), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        if error.validator in ("anyOf", "oneOf") and error.context:
            yield best_match(error.context)
        else:
            yield error


def _locate(error) -> tuple[list, tuple]:
    """(path to the key that broke, or its nearest existing parent; (kind, detail)) for one error."""
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"'(.*)' is a required property", error.message)
        return path, ("missing", missing.group(1) if missing else error.message)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extra = [k for k in error.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
        if extra:
            return path + [extra[0]], ("unexpected", extra[0])
    return path, ("invalid", error.message)


def _describe(segments, problem) -> str:
    from .model.objects import key_path

    kind, detail = problem
    where = key_path(*segments)
    if kind == "missing":
        return f"{where or 'the object'} lacks required key '{detail}'"
    if kind == "unexpected":
        return f"{where} is not allowed here"
    return f"{where or 'the object'}: {detail}"


def _key_path(segments, problem) -> str:
    from .model.objects import key_path

    kind, detail = problem
    where = key_path(*segments)
    return f"{where}.{detail}" if kind == "missing" and where else (detail if kind == "missing" else where)


def _document_check(entry: Entry):
    data = entry.data
    document = data["document"]
    help_text = str(data["help"]).strip()

    def check(index, opts):
        from .model.doc_requirements import DocRequirement, judge

        shape = dict(document)
        paths = list(document.get("paths") or ())
        shape["name"] = document.get("name") or (f"document {paths[0]}" if paths else "document")
        shape["fix"] = help_text
        config = index.settings.get("config")
        defaults = config.thresholds if config is not None else {}
        requirement = DocRequirement.from_mapping(shape, defaults)
        subject = index.repo.subject(entry.code.lower(), f"the {shape['name']}")
        yield from judge(index, requirement, subject, key="custom")

    return check

