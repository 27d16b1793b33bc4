"""API documentation current.

## What it does
When the service exposes an API (a Service, Ingress or HTTPRoute is rendered), looks for a
machine-readable API description: OpenAPI 3.x (`openapi:`), Swagger 2.0 (accepted, with a note to
migrate), AsyncAPI, `.proto` files that declare a gRPC `service` (with or without `buf.yaml`; vendored and
message-only files do not count), or GraphQL SDL. An OpenAPI document needs `info.title`, `info.version` and
`paths` (or `webhooks`/`components` in 3.1). It is **current** when CI checks it for
drift (`git diff --exit-code` after an export, `oasdiff`, `openapi-diff`, `spectral lint`, `redocly lint`,
schemathesis, dredd, `buf breaking`), or when its last change is within `doc_staleness_days` of the last
change to `api_source_globs` (routes, handlers, controllers). `info.version` should equal the chart's
`appVersion` (`warning`). Without full history and without a CI check, currency is unknown.

Monorepos list their services' specs in `options.specs` (entries `{spec, name, sources}` or a plain spec
path); each spec is then judged on its own: it must exist and be valid, and it is current when a CI drift
check names it (or its folder, or no spec file at all), else when it changed within `doc_staleness_days` of
its `sources` globs (default: `api_source_globs` under the spec's service folder).

## Why it matters
Clients, API gateways and contract tests are generated from the spec; a spec that lags the code breaks
them silently or documents endpoints that no longer exist.

## How to fix
Commit the OpenAPI document (export it in CI if the framework generates it) and fail CI when it drifts,
e.g. `git diff --exit-code openapi.yaml` after the export, or `oasdiff breaking`.

## Example
```yaml fail
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  ports: [{port: 80}]
```
```yaml pass
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  ports: [{port: 80}]
```
```yaml pass file=openapi.yaml
openapi: 3.0.3
info: {title: shop api, version: 1.0.0}
paths:
  /orders: {get: {responses: {"200": {description: the orders}}}}
```
```yaml pass file=.github/workflows/api.yml
name: api
on: pull_request
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npx @stoplight/spectral-cli lint openapi.yaml
```
"""
import re

from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Location, Related
from readylint.inputs import json_text
from readylint.inputs.yaml_docs import YMap, load_stream
from readylint.model.ci import all_steps, tolerated
from readylint.model.doc_requirements import stale_outcomes
from readylint.model.docs import docs
from readylint.registry import rule

DRIFT = re.compile(r"git\s+diff\s+(?:[^|;&\n]*\s)?--exit-code|oasdiff|openapi-diff|spectral(?:-cli)?\s+lint|"
                   r"redocly\s+lint|schemathesis|\bdredd\b|buf\s+breaking|buf\s+lint|swagger-cli\s+validate|"
                   r"openapi-generator(?:-cli)?\s+validate|vacuum\s+lint|stoplightio/spectral-action|"
                   r"oasdiff/oasdiff-action", re.IGNORECASE)
API_KINDS = ("Service", "Ingress", "HTTPRoute", "GRPCRoute")
SERVICE = re.compile(r"^[ \t]*service[ \t]+(\w+)[ \t\n]*\{", re.MULTILINE)
COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)  # blanked keeping line and column numbers
VENDORED = re.compile(r"/(?:vendor|third_party|third-party|node_modules)/", re.IGNORECASE)


def specs(index):
    """(path, kind, data or None, Location of info.version) of every API description."""
    found = []
    for path, documents in sorted(index.documents.items()):
        for doc in documents:
            data = doc.data
            if isinstance(data, YMap):
                kind = next((k for k in ("openapi", "swagger", "asyncapi") if k in data), None)
                if kind:
                    found.append((path, kind, data, _version_at(path, data)))
    for path in index.repo.glob("**/*openapi*.json", "**/*swagger*.json", "**/*asyncapi*.json", "**/api*.json"):
        text = index.repo.text(path)
        try:
            data = json_text.loads(text or "")
        except ValueError:
            continue
        kind = next((k for k in ("openapi", "swagger", "asyncapi") if isinstance(data, dict) and k in data), None)
        if kind:
            data = load_stream(text).documents[0].data  # JSON is YAML: keep positions
            found.append((path, kind, data, _version_at(path, data)))
    found.extend(_protos(index))
    for path in index.repo.glob("**/*.graphql", "**/*.graphqls", "**/schema.gql"):
        found.append((path, "graphql", None, Location(path, 1, 1)))
    return found


def _protos(index):
    """gRPC APIs: committed .proto files that declare a ``service`` (buf.yaml is not required: the .proto is the
    description, buf only lints it). Message-only files and vendored copies describe no API of this repository.
    ``data`` is the tuple of service names; the location is the first ``service`` line."""
    found = []
    paths = [p for p in index.repo.glob("**/*.proto") if not VENDORED.search("/" + index.repo.local(p))]
    for path in sorted(paths, key=lambda p: (p.count("/"), p.lower())):
        text = COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), index.repo.text(path) or "")
        services = list(SERVICE.finditer(text))
        if services:
            first = services[0]
            line = text.count("\n", 0, first.start()) + 1
            col = first.start() - text.rfind("\n", 0, first.start())
            found.append((path, "protobuf", tuple(m.group(1) for m in services), Location(path, line, col)))
    return found


def _version_at(path, data) -> Location:
    info = data.get("info") if isinstance(data, YMap) else None
    if isinstance(info, YMap) and "version" in info.kpos:
        line, col, _ = info.kpos["version"]
        return Location(path, line, col)
    for key in ("info", "openapi", "swagger", "asyncapi"):
        if isinstance(data, YMap) and key in data.kpos:
            return Location(path, data.kpos[key][0], data.kpos[key][1])
    return Location(path, 1, 1)


def problems(kind, data) -> list[str]:
    if kind not in ("openapi", "swagger", "asyncapi"):
        return []
    out = []
    info = data.get("info")
    if not isinstance(info, YMap) or not info.get("title") or info.get("version") in (None, ""):
        out.append("info.title and info.version are required")
    if kind == "openapi" and not str(data.get("openapi")).startswith("3"):
        out.append(f"openapi: {data.get('openapi')} is not an OpenAPI 3.x version")
    if kind in ("openapi", "swagger") and not any(isinstance(data.get(k), YMap) for k in ("paths", "webhooks",
                                                                                          "components")):
        out.append("it has no paths")
    if kind == "swagger" and str(data.get("swagger")) != "2.0":
        out.append(f"swagger: {data.get('swagger')} is not 2.0")
    return out


@rule(code="DOC003", slug="api-docs-current", scope="repository", severity="warning", confidence="medium",
      evidence="R, C, G", options={"doc_staleness_days": 180, "specs": [],
                                   "api_source_globs": ["**/routes/**", "**/handlers/**", "**/controllers/**",
                                                        "**/*routes.*", "**/*router.*", "**/*controller.*",
                                                        "**/*handler.*", "**/api/**/*.go", "**/api/**/*.py"]})
def check(index, opts):
    subject = index.repo.subject("api-docs", "API documentation")
    exposed = [o for o in index.objects if o.kind in API_KINDS and not index.is_excluded(o)]
    if not exposed:
        yield subject.not_applicable(NOT_RELEVANT, "no Service, Ingress or HTTPRoute: the repository exposes no "
                                                   "network API")
        return
    found = specs(index)
    configured = _configured(opts.get("specs"))
    if configured:
        yield from _monorepo(index, opts, configured, found)
        return
    if not found:
        yield subject.fail(f"No machine-readable API description for the API that {exposed[0].ref} exposes: commit "
                           f"an OpenAPI 3 document (or the .proto files of a gRPC API, or GraphQL SDL).",
                           at=index.repo.anchor(), key_path="api-spec.missing",
                           related=(Related(exposed[0].name_at(), f"{exposed[0].ref} exposes the API"),))
        return
    failed = False
    for path, kind, data, at in found:
        for why in problems(kind, data):
            failed = True
            yield subject.fail(f"The API description {path} is invalid: {why}.", at=at, key_path=f"{path}.valid")
    path, kind, data, at = found[0]
    sources = [p for p in index.repo.glob(*opts["api_source_globs"]) if p != path]
    yield from _current(index, opts, subject, found[0], sources, failed, check_chart=True)


def _current(index, opts, subject, spec, sources, failed, check_chart):
    """Swagger note, chart appVersion, then currency: a CI drift check, else git dates against ``sources``."""
    path, kind, data, at = spec
    if kind == "swagger" and not failed:
        yield subject.fail(f"{path} is Swagger 2.0; it is accepted, but migrate it to OpenAPI 3.", at=at,
                           key_path=f"{path}.swagger", level="note")
    if check_chart:
        failed = (yield from _app_version(index, subject, path, data, at)) or failed
    checks = [s for s in all_steps(index) if DRIFT.search(s.text) and tolerated(s) is None
              and (check_chart or _names_spec(s.text, index.repo.local(path)))]
    if checks:
        if not failed:
            yield subject.passed(f"CI checks {_label(spec)} for drift ({checks[0].job.display})")
        return
    fresh = docs(index).changed([path])
    if not fresh.known:
        yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"no CI drift check and cannot date {path}: "
                                                           f"{fresh.unavailable}")
        return
    if not sources:
        if not failed:
            yield subject.passed(f"{_label(spec)}; no route sources to compare with")
        return
    yield from stale_outcomes(index, "API description", subject, path, fresh, at, tuple(sources),
                              opts["doc_staleness_days"], f"api-spec.{path}" if not check_chart else "api-spec")


def _label(spec) -> str:
    """The spec's path, with the gRPC services a .proto describes."""
    path, kind, data, _ = spec
    return f"{path} (gRPC {', '.join(data)})" if kind == "protobuf" else path


def _configured(value) -> list[dict]:
    """`options.specs` entries as {"spec", "sources", "name"}; a plain string is a spec path."""
    out = []
    for item in value or ():
        if isinstance(item, str):
            item = {"spec": item}
        if isinstance(item, dict) and item.get("spec"):
            sources = item.get("sources") or []
            out.append({"spec": str(item["spec"]), "name": str(item.get("name") or item["spec"]),
                        "sources": [sources] if isinstance(sources, str) else [str(g) for g in sources]})
    return out


def _names_spec(command: str, path: str) -> bool:
    """A drift check concerns this spec when it names the spec or its folder, or names no spec file at all."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    if path in command or (folder and folder in command):
        return True
    return not re.search(r"[\w./-]+\.(?:ya?ml|json|proto|graphqls?)\b", command)


def _monorepo(index, opts, configured, found):
    """One subject per configured spec (monorepos: several services, each with its own API description)."""
    by_path = {index.repo.local(spec[0]).lower(): spec for spec in found}
    for entry in configured:
        subject = index.repo.subject(f"api-docs/{entry['name']}", f"API documentation of {entry['name']}")
        spec = by_path.get(entry["spec"].lower().lstrip("./"))
        if spec is None:
            what = ("is not an OpenAPI, Swagger or AsyncAPI document nor a .proto declaring a service"
                    if index.repo.glob(entry["spec"])
                    else "does not exist")
            yield subject.fail(f"The API description {entry['spec']} named in rules.options.DOC003.specs {what}. "
                               f"Commit the service's spec there or fix the path.", at=index.repo.anchor(),
                               key_path=f"api-spec.{entry['name']}.missing")
            continue
        path, kind, data, at = spec
        failed = False
        for why in problems(kind, data):
            failed = True
            yield subject.fail(f"The API description {path} is invalid: {why}.", at=at, key_path=f"{path}.valid")
        if entry["sources"]:
            sources = [p for p in index.repo.glob(*entry["sources"]) if p != path]
        else:
            parts = index.repo.local(path).split("/")
            prefix = "/".join(parts[:2]) + "/" if len(parts) > 2 else ""
            sources = [p for p in index.repo.glob(*opts["api_source_globs"])
                       if p != path and index.repo.local(p).startswith(prefix)]
        yield from _current(index, opts, subject, spec, sources, failed, check_chart=False)


def _app_version(index, subject, path, data, at):
    info = data.get("info") if isinstance(data, YMap) else None
    version = str(info.get("version")) if isinstance(info, YMap) and info.get("version") is not None else None
    charts = index.repo.glob("Chart.yaml", "*/Chart.yaml", "charts/*/Chart.yaml", "deploy/**/Chart.yaml")
    if version is None or len(charts) != 1:
        return False
    text = index.repo.text(charts[0]) or ""
    chart = load_stream(text).documents[0].data if text.strip() else None
    app_version = chart.get("appVersion") if isinstance(chart, YMap) else None
    if app_version is None or str(app_version).lstrip("v") == version.lstrip("v"):
        return False
    line = chart.kpos["appVersion"][0]
    yield subject.fail(f"The API description {path} has info.version {version} but the chart's appVersion is "
                       f"{app_version}; bump the spec with the release.", at=at, key_path=f"{path}.version",
                       level="warning", related=(Related(Location(charts[0], line, 1), "appVersion"),))
    return True
