"""Property-based tests: Kubernetes-shaped documents and mutated corpus files never break a run.

Invariants, for every generated repository: no rule raises (report.errors is empty), every finding and
related location names a file inside the root at a line that exists, the SARIF output validates against
the official 2.1.0 schema, and linting the same input twice gives the same JSON and SARIF.

The normal run uses the "ci" profile (60 examples each, derandomized so CI is reproducible);
`READYLINT_FUZZ=1 python -m pytest -q tests/test_properties.py` is the separate, longer fuzz target
(READYLINT_FUZZ_EXAMPLES, default 2000, random seeds).
"""
from __future__ import annotations

import json
import os
import pathlib
import random
import tempfile
from functools import lru_cache

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readylint.reporters import json_report, sarif

from .conftest import CORPUS, SCHEMAS_REF
from .helpers import lint

FUZZ = os.environ.get("READYLINT_FUZZ") == "1"
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=int(os.environ.get("READYLINT_FUZZ_EXAMPLES", "2000")),
                          deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile("fuzz" if FUZZ else "ci")

# -- generated Kubernetes-shaped documents -------------------------------------------------------------

PLAIN = st.sampled_from(["yes", "no", "on", "~", "null", "0x1F", "0755", "1e3", "-1", "0", "3", "=", "100m",
                         "1Gi", "50%", "true", ".inf", "v1", "latest", "Always", "IfNotPresent", "{{ .x }}"])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False), TEXT, PLAIN)
JUNK = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                    st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
NAME = st.one_of(st.sampled_from(["api", "web", "db", "worker", "cache"]), TEXT)
NAMESPACE = st.sampled_from(["shop", "default", "kube-system", "", "monitoring"])
LABELS = st.dictionaries(st.sampled_from(["app", "tier", "app.kubernetes.io/name"]),
                         st.one_of(st.sampled_from(["api", "web", "db"]), SCALAR), max_size=2)
QUANTITY = st.one_of(st.sampled_from(["100m", "1", "0.5", "128Mi", "1Gi", "2G", "", "abc", "-1"]), SCALAR)


def maybe(strategy):
    return st.one_of(strategy, JUNK)


def probe():
    return st.fixed_dictionaries({}, optional={
        "httpGet": st.fixed_dictionaries({"path": maybe(st.just("/healthz")), "port": maybe(st.integers(0, 70000))}),
        "tcpSocket": maybe(st.fixed_dictionaries({"port": SCALAR})), "exec": JUNK,
        "initialDelaySeconds": SCALAR, "periodSeconds": SCALAR, "failureThreshold": SCALAR})


CONTAINER = st.fixed_dictionaries({"name": maybe(NAME)}, optional={
    "image": maybe(st.sampled_from(["nginx", "nginx:latest", "r.example.com/api:1.2.3", "api@sha256:" + "a" * 64])),
    "resources": maybe(st.fixed_dictionaries({}, optional={
        "requests": st.dictionaries(st.sampled_from(["cpu", "memory"]), QUANTITY, max_size=2),
        "limits": st.dictionaries(st.sampled_from(["cpu", "memory"]), QUANTITY, max_size=2)})),
    "livenessProbe": maybe(probe()), "readinessProbe": maybe(probe()), "startupProbe": maybe(probe()),
    "securityContext": maybe(st.fixed_dictionaries({}, optional={
        "runAsNonRoot": SCALAR, "runAsUser": SCALAR, "readOnlyRootFilesystem": SCALAR,
        "allowPrivilegeEscalation": SCALAR, "privileged": SCALAR,
        "capabilities": maybe(st.fixed_dictionaries({"drop": maybe(st.lists(st.sampled_from(["ALL", "NET_RAW"])))}))})),
    "ports": maybe(st.lists(st.fixed_dictionaries({"containerPort": SCALAR}, optional={"name": SCALAR}), max_size=2)),
    "env": maybe(st.lists(st.fixed_dictionaries({"name": SCALAR}, optional={"value": SCALAR, "valueFrom": JUNK}),
                          max_size=3)),
})
POD_SPEC = st.fixed_dictionaries({"containers": maybe(st.lists(CONTAINER, max_size=3))}, optional={
    "initContainers": maybe(st.lists(CONTAINER, max_size=1)), "affinity": JUNK,
    "topologySpreadConstraints": JUNK, "serviceAccountName": SCALAR, "securityContext": JUNK,
    "automountServiceAccountToken": SCALAR, "terminationGracePeriodSeconds": SCALAR, "volumes": JUNK})
TEMPLATE = st.fixed_dictionaries({"metadata": maybe(st.fixed_dictionaries({"labels": maybe(LABELS)})),
                                  "spec": maybe(POD_SPEC)})
WORKLOAD_SPEC = st.fixed_dictionaries({"template": maybe(TEMPLATE)}, optional={
    "replicas": SCALAR, "selector": maybe(st.fixed_dictionaries({"matchLabels": maybe(LABELS)})),
    "strategy": JUNK, "minReadySeconds": SCALAR, "serviceName": SCALAR})
SPECS = {
    ("apps/v1", "Deployment"): WORKLOAD_SPEC, ("apps/v1", "StatefulSet"): WORKLOAD_SPEC,
    ("apps/v1", "DaemonSet"): WORKLOAD_SPEC, ("argoproj.io/v1alpha1", "Rollout"): WORKLOAD_SPEC,
    ("batch/v1", "CronJob"): st.fixed_dictionaries({"schedule": SCALAR, "jobTemplate": maybe(
        st.fixed_dictionaries({"spec": maybe(st.fixed_dictionaries({"template": maybe(TEMPLATE)}))}))}),
    ("v1", "Service"): st.fixed_dictionaries({"selector": maybe(LABELS)}, optional={
        "type": maybe(st.sampled_from(["ClusterIP", "LoadBalancer", "NodePort", "ExternalName"])),
        "ports": maybe(st.lists(st.fixed_dictionaries({"port": SCALAR}, optional={"targetPort": SCALAR}),
                                max_size=2))}),
    ("policy/v1", "PodDisruptionBudget"): st.fixed_dictionaries(
        {"selector": maybe(st.fixed_dictionaries({"matchLabels": maybe(LABELS)}))},
        optional={"minAvailable": maybe(st.sampled_from([0, 1, 2, "50%", "100%", "x%"])),
                  "maxUnavailable": maybe(st.sampled_from([0, 1, "25%", "0%"]))}),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): st.fixed_dictionaries(
        {"scaleTargetRef": maybe(st.fixed_dictionaries({"kind": maybe(st.sampled_from(["Deployment", "Rollout"])),
                                                        "name": maybe(NAME)}))},
        optional={"minReplicas": SCALAR, "maxReplicas": SCALAR, "metrics": JUNK}),
    ("networking.k8s.io/v1", "NetworkPolicy"): st.fixed_dictionaries(
        {"podSelector": maybe(st.fixed_dictionaries({}, optional={"matchLabels": maybe(LABELS)}))},
        optional={"policyTypes": JUNK, "ingress": JUNK, "egress": JUNK}),
    ("networking.k8s.io/v1", "Ingress"): JUNK, ("monitoring.coreos.com/v1", "ServiceMonitor"): JUNK,
    ("monitoring.coreos.com/v1", "PrometheusRule"): JUNK, ("v1", "ConfigMap"): JUNK,
    ("argoproj.io/v1alpha1", "Application"): JUNK,
}


@st.composite
def k8s_document(draw):
    api_version, kind = draw(st.sampled_from(sorted(SPECS)))
    metadata = draw(maybe(st.fixed_dictionaries({"name": maybe(NAME)}, optional={
        "namespace": maybe(NAMESPACE), "labels": maybe(LABELS), "annotations": JUNK})))
    doc = {"apiVersion": draw(st.one_of(st.just(api_version), SCALAR)) if draw(st.booleans()) else api_version,
           "kind": kind, "metadata": metadata, "spec": draw(maybe(SPECS[(api_version, kind)]))}
    if draw(st.integers(0, 9)) == 0:
        doc.pop(draw(st.sampled_from(sorted(doc))))
    return doc


def block_yaml(value, indent: int = 0) -> str:
    """Block-style YAML; scalars as JSON (valid YAML), except the plain tokens that test resolution."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        out = []
        for key, val in value.items():
            head = f"{pad}{json.dumps(str(key))}:"
            out.append(head + ("\n" + block_yaml(val, indent + 2) if isinstance(val, (dict, list)) and val
                               else " " + _scalar(val)))
        return "\n".join(out)
    if isinstance(value, list) and value:
        return "\n".join(f"{pad}-" + ("\n" + block_yaml(v, indent + 2) if isinstance(v, (dict, list)) and v
                                      else " " + _scalar(v)) for v in value)
    return pad + _scalar(value)


def _scalar(value) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str) and value in PLAIN_TOKENS and not value.startswith("{"):
        return value
    return json.dumps(value)


PLAIN_TOKENS = {"yes", "no", "on", "~", "null", "0x1F", "0755", "1e3", "-1", "0", "3", "=", "100m", "1Gi", "50%",
                "true", ".inf", "v1", "latest", "Always", "IfNotPresent"}

FILES = st.lists(st.tuples(st.sampled_from(["deploy.yaml", "k8s/app.yaml", "manifests/all.yml", "svc.json"]),
                           st.lists(k8s_document(), min_size=1, max_size=4),
                           st.sampled_from(["block", "flow"])), min_size=1, max_size=3)


# -- invariants ------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def sarif_validator():
    schema = json.loads((SCHEMAS_REF / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def line_count(path: pathlib.Path) -> int:
    data = path.read_bytes()
    return max(data.count(b"\n") + (0 if data.endswith(b"\n") else 1), 1)


def assert_invariants(root: pathlib.Path) -> None:
    report = lint(root)
    assert report.errors == []
    for finding in report.findings:
        for loc in [finding.location] + [r.location for r in finding.related]:
            path = root / loc.path
            assert path.resolve().is_relative_to(root.resolve()) and path.is_file(), (finding.code, loc)
            assert 1 <= loc.line <= line_count(path), (finding.code, loc, finding.message)
            assert loc.col >= 1, (finding.code, loc)
    first_sarif, first_json = sarif.render(report), json_report.render(report)
    errors = sorted(sarif_validator().iter_errors(json.loads(first_sarif)), key=lambda e: list(e.path))
    assert not errors, f"{errors[0].message} at {list(errors[0].path)}"
    again = lint(root)
    assert (sarif.render(again), json_report.render(again)) == (first_sarif, first_json)


def fresh_root():
    return tempfile.TemporaryDirectory(prefix="readylint-prop-")


@pytest.mark.skipif(not (SCHEMAS_REF / "sarif-schema-2.1.0.json").exists(), reason="shared schemas absent")
@PROFILE
@given(FILES)
def test_generated_kubernetes_documents(files):
    with fresh_root() as tmp:
        root = pathlib.Path(tmp)
        for name, docs, style in files:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".json"):
                text = json.dumps(docs[0], indent=2)
            elif style == "flow":
                text = "".join("---\n" + json.dumps(d, indent=2) + "\n" for d in docs)
            else:
                text = "".join("---\n" + block_yaml(d) + "\n" for d in docs)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
        assert_invariants(root)


# -- mutated corpus files ------------------------------------------------------------------------------

def _corpus_files() -> list[str]:
    if not CORPUS.exists():
        return []
    out = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json", ".md") and path.stat().st_size < 40_000:
            out.append(path.relative_to(CORPUS).as_posix())
    return out


CORPUS_FILES = _corpus_files()
INSERTS = [b"\0", b"\xff", b"\xc3", b"{{", b"}}", b"&a ", b"*a", b"<<: *a\n", b": ", b"- ", b"\t", b"\n", b"[",
           b"]", b"{", b"'", b'"', b"#", b"---\n", b"!!python/object/apply:os.system [x]", b"\r\n", b"\xef\xbb\xbf"]
MUTATION = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("shuffle"), st.floats(0, 1), st.integers(2, 12)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 5)),
    st.tuples(st.just("duplicate"), st.floats(0, 1), st.integers(1, 5)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.integers(0, len(INSERTS) - 1)),
)


def mutate(data: bytes, mutations) -> bytes:
    for kind, where, arg in mutations:
        at = int(where * len(data))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (arg or 1)]) + data[at + 1:]
        elif kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + INSERTS[arg] + data[at:]
        else:
            lines = data.split(b"\n")
            start = int(where * len(lines))
            window = lines[start:start + arg]
            if kind == "shuffle":
                random.Random(arg).shuffle(window)
                lines[start:start + arg] = window
            elif kind == "delete":
                del lines[start:start + arg]
            else:
                lines[start:start] = window
            data = b"\n".join(lines)
    return data


@pytest.mark.skipif(not CORPUS_FILES or not (SCHEMAS_REF / "sarif-schema-2.1.0.json").exists(),
                    reason="shared corpus absent")
@PROFILE
@given(st.lists(st.tuples(st.sampled_from(CORPUS_FILES or ["x"]), st.lists(MUTATION, min_size=1, max_size=4)),
                min_size=1, max_size=3))
def test_mutated_corpus_files(picks):
    with fresh_root() as tmp:
        root = pathlib.Path(tmp)
        for rel, mutations in picks:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(mutate((CORPUS / rel).read_bytes(), mutations))
        assert_invariants(root)
