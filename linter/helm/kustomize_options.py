"""Argo CD's `spec.source.kustomize` options, applied as Argo CD applies them before `kustomize build`.

Argo CD runs `kustomize edit set nameprefix|namesuffix|image|replicas|namespace`, `edit add
label|annotation|component` and merges `patches` into the kustomization file of its checkout, in that
order, so the options replace (not wrap) what the folder's own kustomization sets. readylint does the same
edits in Python on a copy: the folder is copied into a scratch tree whose other entries link back to the
repository (relative bases resolve as before), and the edited kustomization is written there as JSON (which
kustomize reads as YAML). Nothing of the repository is executed or written.
"""
from __future__ import annotations

import json
import os
import re
import shutil

from ..findings import Location
from ..inputs.files import read_text
from ..inputs.yaml_docs import YMap, load_stream
from ..model.objects import mapping, sequence

# options this module applies; `version` picks a kustomize binary, which changes nothing readylint can see
APPLIED = ("namePrefix", "nameSuffix", "images", "replicas", "commonLabels", "forceCommonLabels",
           "labelWithoutSelector", "labelIncludeTemplates", "commonAnnotations", "forceCommonAnnotations",
           "commonAnnotationsEnvsubst", "namespace", "patches", "components", "ignoreMissingComponents")
SILENT = ("version",)
# build variables Argo CD knows and readylint cannot (the synced commit, the cluster)
UNKNOWABLE = ("ARGOCD_APP_REVISION", "ARGOCD_APP_REVISION_SHORT", "ARGOCD_APP_REVISION_SHORT_8", "KUBE_VERSION",
              "KUBE_API_VERSIONS")
MAX_KUSTOMIZATION_BYTES = 1024 * 1024
MAX_COPY_FILES = 5000
MAX_COPY_BYTES = 64 * 1024 * 1024
IMAGE_TAG = re.compile(r"^(.*):([a-zA-Z0-9._-]*)$")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^git@|^github\.com/", re.I)


class EditError(Exception):
    """An option Argo CD's `kustomize edit` would refuse: the render fails there too."""


def plan(options: YMap, env: dict) -> tuple[dict, list[str], list[str]]:
    """(the edits to apply, options not applied, build variables left as written) of an Application's
    `kustomize` block; values go through Argo CD's `$VAR` substitution where Argo CD substitutes them."""
    unknown: list[str] = []

    def subst(value) -> str:
        return envsubst(_text(value), env, unknown)

    edits: dict = {}
    for key in ("namePrefix", "nameSuffix", "namespace"):
        if options.get(key) not in (None, ""):
            edits[key] = _text(options[key])
    if sequence(options.get("images")):
        edits["images"] = [subst(image) for image in options["images"]]
    if sequence(options.get("replicas")):
        edits["replicas"] = [[_text(r.get("name")), r.get("count")] for r in options["replicas"] if mapping(r)]
    if mapping(options.get("commonLabels")):
        edits["commonLabels"] = {str(k): subst(v) for k, v in options["commonLabels"].items()}
        edits["labelFlags"] = [bool(options.get(k)) for k in ("forceCommonLabels", "labelWithoutSelector",
                                                                "labelIncludeTemplates")]
    if mapping(options.get("commonAnnotations")):
        keep = not options.get("commonAnnotationsEnvsubst")
        edits["commonAnnotations"] = {str(k): _text(v) if keep else subst(v)
                                      for k, v in options["commonAnnotations"].items()}
        edits["forceCommonAnnotations"] = bool(options.get("forceCommonAnnotations"))
    if sequence(options.get("patches")):
        edits["patches"] = json.loads(json.dumps(list(options["patches"]), default=str))
    if sequence(options.get("components")):
        edits["components"] = [_text(c) for c in options["components"]]
        edits["ignoreMissingComponents"] = bool(options.get("ignoreMissingComponents"))
    ignored = sorted(set(options) - set(APPLIED) - set(SILENT))
    return edits, ignored, sorted(set(unknown))


def positions(options: YMap, path: str) -> dict:
    """Where the Application sets what a finding may be about: ("replicas", name) -> Location in ``path``."""
    found: dict = {}
    replicas = sequence(options.get("replicas"))
    for i, entry in enumerate(replicas):
        if mapping(entry) and entry.get("name") is not None:
            pos = entry.kpos.get("count") or (*replicas.ipos[i], None)
            found[("replicas", _text(entry["name"]))] = Location(path, *pos)
    return found


def unreadable(edits: dict, folder: str) -> str | None:
    """Why a component or patch file the edits name cannot be read here: fetched from elsewhere, or
    outside the repository (``folder`` is the kustomization's, repo-relative)."""
    paths = [("component", c) for c in edits.get("components", [])]
    paths += [("patch", p["path"]) for p in edits.get("patches", []) if isinstance(p, dict)
              and isinstance(p.get("path"), str)]
    for what, path in paths:
        if URL.search(path):
            return f"the kustomize {what} {path} is remote; readylint does not fetch it"
        if path.startswith("/") or os.path.normpath(os.path.join(folder or ".", path)).startswith(".."):
            return f"the kustomize {what} {path} lies outside the repository"
    return None


def envsubst(text: str, env: dict, unknown: list) -> str:
    """Go's `os.Expand` with Argo CD's mapping (`$$` is `$`, an unset name is empty); the variables of
    the synced revision and cluster, which readylint cannot know, stay as written (and are reported)."""
    out, i, j = [], 0, 0
    while j < len(text):
        if text[j] == "$" and j + 1 < len(text):
            out.append(text[i:j])
            name, width = _shell_name(text[j + 1:])
            if name == "" and width == 0:
                out.append("$")
            elif name == "$":
                out.append("$")
            elif name in UNKNOWABLE:
                unknown.append(name)
                out.append(text[j:j + 1 + width])
            elif name:
                out.append(env.get(name, ""))
            j += width
            i = j + 1
        j += 1
    return "".join(out) + text[i:]


def _shell_name(s: str) -> tuple[str, int]:
    special = "*#$@!?-0123456789"
    if s[0] == "{":
        if len(s) > 2 and s[1] in special and s[2] == "}":
            return s[1], 3
        end = s.find("}", 1)
        if end == 1:
            return "", 2
        return (s[1:end], end + 1) if end > 0 else ("", 1)
    if s[0] in special:
        return s[0], 1
    width = 0
    while width < len(s) and (s[width] == "_" or s[width].isascii() and s[width].isalnum()):
        width += 1
    return s[:width], width


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# -- applying ----------------------------------------------------------------------------------------------

def prepare(root: str, folder: str, name: str, edits: dict, scratch: str) -> str:
    """The folder to build: a copy of ``folder`` (repo-relative, holding kustomization file ``name``) with
    the edits applied, placed so that its relative paths reach the repository as before."""
    target = _shadow(os.path.abspath(root), folder, os.path.join(scratch, "tree"))
    path = os.path.join(target, name)
    shown = f"{folder}/{name}" if folder else name
    text, problem = read_text(path, MAX_KUSTOMIZATION_BYTES)
    if problem is not None:
        raise EditError(f"{shown}: {problem.message}")
    stream = load_stream(text)
    fatal = [issue for issue in stream.issues if issue.fatal]
    documents = [d for d in stream.documents if d.data is not None]
    if fatal or len(documents) > 1 or (documents and not isinstance(documents[0].data, dict)):
        where = f": line {fatal[0].line}: {fatal[0].message}" if fatal else ""
        raise EditError(f"{shown} is not one YAML mapping{where}")
    data = json.loads(json.dumps(documents[0].data if documents else {}, default=str))
    apply(data, edits, lambda component: os.path.exists(os.path.join(target, component)))
    os.unlink(path)  # a copy, or a link the copy kept: never write through it
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return target


def apply(k: dict, edits: dict, exists=lambda component: True) -> dict:
    """``k`` (a kustomization) after Argo CD's edits, in Argo CD's order; EditError where kustomize fails."""
    for key in ("namePrefix", "nameSuffix"):
        if key in edits:
            k[key] = edits[key]
    if edits.get("images"):
        k["images"] = _set_images(sequence_of_maps(k.get("images")), edits["images"])
    if edits.get("replicas"):
        k["replicas"] = _set_replicas(sequence_of_maps(k.get("replicas")), edits["replicas"])
    if edits.get("commonLabels"):
        force, without_selector, templates = edits["labelFlags"]
        if templates and not without_selector:
            raise EditError("labelIncludeTemplates needs labelWithoutSelector (kustomize edit add label: "
                            "--without-selector flag must be specified for --include-templates to work)")
        if without_selector:
            label = {"pairs": dict(edits["commonLabels"])}
            if templates:
                label["includeTemplates"] = True
            k["labels"] = sequence_of_maps(k.get("labels")) + [label]
        else:
            k["commonLabels"] = _add(k.get("commonLabels"), edits["commonLabels"], force, "label")
    if edits.get("commonAnnotations"):
        k["commonAnnotations"] = _add(k.get("commonAnnotations"), edits["commonAnnotations"],
                                      edits["forceCommonAnnotations"], "annotation")
    if edits.get("namespace"):
        k["namespace"] = edits["namespace"]
    if edits.get("patches"):
        k["patches"] = sequence_of_maps(k.get("patches")) + edits["patches"]
    if edits.get("components"):
        found = [c for c in edits["components"] if not edits["ignoreMissingComponents"] or exists(c)]
        for component in found:
            if not exists(component):
                raise EditError(f"component {component} does not exist (kustomize edit add component)")
        present = [c for c in k.get("components") or [] if isinstance(c, str)]
        if found:
            k["components"] = present + [c for c in dict.fromkeys(found) if c not in present]
    return k


def sequence_of_maps(value) -> list:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _add(current, new: dict, force: bool, what: str) -> dict:
    merged = dict(current) if isinstance(current, dict) else {}
    for key, value in new.items():
        if key in merged and not force:
            raise EditError(f"{what} {key} is already in the kustomization file; Argo CD's kustomize edit "
                            f"add {what} fails (set force{'CommonLabels' if what == 'label' else 'CommonAnnotations'})")
        merged[key] = value
    return merged


def _set_images(current: list, args: list) -> list:
    """`kustomize edit set image`: each argument replaces the entry of its name (`*` keeps a part)."""
    wanted = {}
    for arg in args:
        image = _parse_image(arg)
        wanted[image["name"]] = image
    for entry in current:
        name = entry.get("name")
        given = wanted.get(name)
        if given is None:
            wanted[name] = entry
            continue
        for part in ("newName", "newTag", "digest"):
            if given.get(part) == "*":
                given[part] = entry.get(part, "")
    out = []
    for image in wanted.values():
        out.append({key: value for key, value in image.items() if value != "*" and value not in ("", None)})
    return sorted(out, key=lambda image: str(image.get("name", "")))


def _parse_image(arg: str) -> dict:
    parts = arg.split("=")
    if len(parts) == 2:
        new = _overwrite(parts[1], True)
        return {"name": parts[0], "newName": new[0], "newTag": new[1], "digest": new[2]}
    new = _overwrite(arg, False)
    return {"name": new[0], "newTag": new[1], "digest": new[2]}


def _overwrite(arg: str, name_only_ok: bool) -> tuple[str, str, str]:
    if "@" in arg:
        name, digest = arg.split("@")[:2]
        return name, "", digest
    match = IMAGE_TAG.match(arg)
    if match:
        return match.group(1), match.group(2), ""
    if arg and name_only_ok:
        return arg, "", ""
    raise EditError(f"image {arg!r} is not one of <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, "
                    "<image>=<newimage>, <image>:<newtag>, <image>@<digest> (kustomize edit set image)")


def _set_replicas(current: list, args: list) -> list:
    """`kustomize edit set replicas name=count`: an argument replaces the entry of its name."""
    wanted = {}
    for name, count in args:
        number = count if isinstance(count, int) and not isinstance(count, bool) else None
        if number is None and isinstance(count, str) and re.fullmatch(r"[+-]?\d+", count.strip()):
            number = int(count)
        if number is None:
            raise EditError(f"replicas count {count!r} of {name} is not an integer")
        wanted[name] = {"name": name, "count": number}
    for entry in current:
        wanted.setdefault(entry.get("name"), entry)
    return sorted(wanted.values(), key=lambda entry: str(entry.get("name", "")))


# -- the scratch tree ---------------------------------------------------------------------------------------

def _shadow(root: str, folder: str, tree: str) -> str:
    """``tree`` mirrors the repository: links to every entry, except along the path to ``folder``, which
    holds real folders, and ``folder`` itself, which is copied (kustomize loads files only from below the
    kustomization's own folder, and a link there would point outside it)."""
    source, target = root, tree
    for part in [p for p in folder.split("/") if p]:
        os.makedirs(target)
        for entry in _listdir(source):
            if entry not in (part, ".git"):
                os.symlink(os.path.join(source, entry), os.path.join(target, entry))
        source, target = os.path.join(source, part), os.path.join(target, part)
    files = size = 0
    for directory, dirs, names in os.walk(source):
        dirs[:] = [d for d in dirs if d != ".git"]
        files += len(names)
        size += sum(_size(os.path.join(directory, n)) for n in names)
        if files > MAX_COPY_FILES or size > MAX_COPY_BYTES:
            raise EditError(f"{folder or '.'} is too large to copy for applying the kustomize options "
                            f"(more than {MAX_COPY_FILES} files or {MAX_COPY_BYTES // 2**20} MB)")
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"), dirs_exist_ok=True)
    return target


def _size(path: str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []
