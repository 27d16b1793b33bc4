"""Tracing implemented.

## What it does
Checks that each long-running workload emits traces and that they have somewhere to go. Instrumentation
is the OpenTelemetry operator's `instrumentation.opentelemetry.io/inject-<language>` pod-template annotation
(or on the Namespace) naming an `Instrumentation` with an exporter endpoint; `OTEL_EXPORTER_OTLP_ENDPOINT`
(or `..._TRACES_ENDPOINT`) env with a service name; legacy Jaeger client env; Datadog APM; or, as mesh-only
tracing, an Istio `Telemetry` with a tracing provider and non-zero sampling. The sink is an
OpenTelemetryCollector with a traces pipeline, Jaeger, Tempo or Zipkin in the repository, or the claim
`platform.trace_sink: provided`.

## Why it matters
Without traces a slow or failing request cannot be followed across services, and incidents are debugged
by guessing. Tracing that is switched off (`OTEL_SDK_DISABLED`, `OTEL_TRACES_EXPORTER=none`, sampling 0) or
that the operator refuses to inject is the same as none.

## How to fix
Annotate the pod template with `instrumentation.opentelemetry.io/inject-java: "true"` next to an
Instrumentation, or set `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_SERVICE_NAME`; for Go add
`instrumentation.opentelemetry.io/otel-go-auto-target-exe`; with several languages name the containers.

## Options
* `third_party_images`: comma-separated image prefixes of software you do not instrument yourself.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: OTEL_TRACES_EXPORTER
              value: none
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: OTEL_EXPORTER_OTLP_ENDPOINT
              value: http://otel-collector.observability:4317
            - name: OTEL_SERVICE_NAME
              value: api
---
apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
metadata:
  name: otel
  namespace: observability
spec:
  config:
    receivers: {otlp: {protocols: {grpc: {}}}}
    exporters: {otlphttp: {endpoint: https://tempo.example.com}}
    service:
      pipelines:
        traces: {receivers: [otlp], exporters: [otlphttp]}
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT
from readylint.model.objects import dig, key_path, sequence
from readylint.model.telemetry import INJECT_PREFIX, env_of, inject_annotations, instrumentation, trace_sinks
from readylint.registry import rule

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "JAEGER_AGENT_HOST",
             "JAEGER_ENDPOINT", "OTEL_EXPORTER_ZIPKIN_ENDPOINT")


def _switched_off(env):
    """(name, why) when the env switches tracing off."""
    if str(env.get("OTEL_SDK_DISABLED", "")).lower() == "true":
        return "OTEL_SDK_DISABLED", "OTEL_SDK_DISABLED=true"
    if str(env.get("OTEL_TRACES_EXPORTER", "")).lower() == "none":
        return "OTEL_TRACES_EXPORTER", "OTEL_TRACES_EXPORTER=none"
    sampler = str(env.get("OTEL_TRACES_SAMPLER", "")).lower()
    if sampler in ("always_off", "parentbased_always_off"):
        return "OTEL_TRACES_SAMPLER", f"OTEL_TRACES_SAMPLER={sampler}"
    if sampler.endswith("traceidratio") and str(env.get("OTEL_TRACES_SAMPLER_ARG", "")).strip() in ("0", "0.0"):
        return "OTEL_TRACES_SAMPLER_ARG", "a sampling ratio of 0"
    return None


def _mesh_tracing(index, wl):
    for telemetry in index.of_kind("Telemetry"):
        if not telemetry.group.startswith("telemetry.istio.io") or telemetry.namespace not in (
                wl.namespace, "istio-system"):
            continue
        for entry in sequence(telemetry.spec.get("tracing")):
            rate = dig(entry, "randomSamplingPercentage")
            if sequence(dig(entry, "providers")) and (rate is None or (isinstance(rate, (int, float)) and rate > 0)):
                return telemetry
    return None


def instrumentation_defects(index, wl):
    """Findings about the operator annotations (language checks, missing Instrumentation), or evidence."""
    own = inject_annotations(wl.template_annotations)
    namespace = index.get("Namespace", "", wl.namespace)
    languages = own or (inject_annotations(namespace.annotations) if namespace is not None else {})
    meta = wl.template_meta_path + ("annotations",)
    problems, resolved = [], []
    for language, value in languages.items():
        target = instrumentation(index, value, wl.namespace)
        at = wl.at(*meta, INJECT_PREFIX + language) if own else namespace.at("metadata", "annotations")
        if target is None:
            problems.append(("unknown", at, f"Instrumentation '{value}' is not in the repository"))
        elif not dig(target.spec, "exporter", "endpoint"):
            problems.append(("fail", at, f"{target.ref} has no spec.exporter.endpoint, so injected SDKs export "
                                         f"nowhere; set it."))
        else:
            resolved.append(target)
    annotations = wl.template_annotations
    if "go" in languages and "instrumentation.opentelemetry.io/otel-go-auto-target-exe" not in annotations:
        problems.append(("fail", wl.at(*meta, INJECT_PREFIX + "go"), f"Go injection into {wl.ref} needs "
                         f"instrumentation.opentelemetry.io/otel-go-auto-target-exe naming the binary path; the "
                         f"operator skips the pod without it."))
    if len(languages) > 1 and "instrumentation.opentelemetry.io/container-names" not in annotations and not any(
            str(k).endswith("-container-names") for k in annotations):
        problems.append(("fail", wl.at(*meta), f"{wl.ref} injects {len(languages)} languages without "
                         f"instrumentation.opentelemetry.io/container-names; the operator rejects that."))
    return bool(languages), problems, resolved


def judge(index, wl, sinks, claim):
    subject = wl.subject()
    for c in wl.containers():
        off = _switched_off(env_of(c))
        if off:
            name, why = off
            return subject.fail(f"{c.kind_word} '{c.name}' of {wl.ref} switches tracing off with {why}; remove it "
                                f"so traces are exported.", at=wl.at(*c.path, "env", ("name", name)),
                                key_path=key_path("containers", ("name", c.name), "env", ("name", name)))
    injected, problems, resolved = instrumentation_defects(index, wl)
    for level, at, message in problems:
        if level == "fail":
            return subject.fail(message, at=at, key_path="instrumentation")
    if not injected and (misplaced := inject_annotations(wl.obj.annotations)):
        language = next(iter(misplaced))
        return subject.fail(f"{wl.ref} carries the {INJECT_PREFIX}{language} annotation on its own metadata, where "
                            f"the operator never looks; move it to the pod template.",
                            at=wl.obj.at("metadata", "annotations", INJECT_PREFIX + language),
                            key_path="metadata.annotations")
    env_names = {name for c in wl.containers() for name in env_of(c)}
    instrumented = injected or any(n in env_names for n in ENDPOINTS) or any(
        n.startswith("DD_TRACE_") for n in env_names) or str(
        wl.labels.get("admission.datadoghq.com/enabled", "")).lower() == "true"
    mesh = None if instrumented else _mesh_tracing(index, wl)
    if not instrumented and mesh is None:
        return subject.fail(f"{wl.ref} emits no traces: no OpenTelemetry inject annotation, OTLP endpoint env or "
                            f"tracing agent; instrument it.", at=wl.at(*wl.template_meta_path),
                            key_path=key_path(*wl.template_meta_path))
    if problems:
        return subject.not_applicable(EVIDENCE_UNAVAILABLE, problems[0][2])
    if any(n in env_names for n in ENDPOINTS[:2]) and not ({"OTEL_SERVICE_NAME"} & env_names) and not any(
            "service.name" in str(v) for c in wl.containers() for k, v in env_of(c).items()
            if k == "OTEL_RESOURCE_ATTRIBUTES"):
        c = next(c for c in wl.containers() if set(ENDPOINTS[:2]) & set(env_of(c)))
        return subject.fail(f"{c.kind_word} '{c.name}' of {wl.ref} exports traces without OTEL_SERVICE_NAME, so "
                            f"they appear as unknown_service; set it.", at=wl.at(*c.path, "env"),
                            key_path=key_path("containers", ("name", c.name), "env"), level="note")
    note = f" (mesh-only tracing through {mesh.ref})" if mesh is not None else ""
    if claim:
        return subject.passed("claim: platform.trace_sink provided" + note)
    if not sinks and not resolved:
        return subject.not_applicable(EVIDENCE_UNAVAILABLE, "instrumented, but no trace sink in the repository "
                                      "and no platform.trace_sink claim" + note)
    return subject.passed((sinks[0][1] if sinks else "Instrumentation exporter") + note)


@rule(code="OBS005", slug="tracing", scope="workload", severity="warning", confidence="medium", evidence="M",
      options={"third_party_images": ""})
def check(index, opts):
    third_party = tuple(p.strip() for p in opts["third_party_images"].split(",") if p.strip())
    claim = (index.settings.get("platform") or {}).get("trace_sink") == "provided"
    sinks = trace_sinks(index)
    sink_objects = {id(obj) for obj, _ in sinks}
    for wl in index.workloads_for(long_running=None):
        images = [str(c.data.get("image") or "") for c in wl.containers() if c.long_running]
        if not wl.long_running:
            yield wl.subject().not_applicable(NOT_RELEVANT, "a batch workload")
        elif id(wl.obj) in sink_objects:
            yield wl.subject().not_applicable(NOT_RELEVANT, "the trace backend or collector itself")
        elif third_party and images and all(i.startswith(third_party) for i in images):
            yield wl.subject().not_applicable(NOT_RELEVANT, "third-party image (options.third_party_images)")
        else:
            yield judge(index, wl, sinks, claim)
