"""Log collectors, trace sinks and OpenTelemetry instrumentation as the manifests declare them.

``log_collectors(index)`` and ``trace_sinks(index)`` return (object, why) pairs; ``env_of(container)``
reads plain env values; ``inject_annotations(annotations)`` lists the operator's inject annotations.
"""
from __future__ import annotations


from .. import lazy_re
from ..inputs.yaml_docs import load_stream
from .objects import K8sObject, dig, mapping, sequence

LOG_COLLECTOR_IMAGES = lazy_re.compile(
    r"(fluent-bit|fluentbit|fluentd|timberio/vector|/vector:|^vector:|promtail|grafana/alloy|grafana/agent|"
    r"datadog/agent|gcr\.io/datadoghq/agent|/filebeat|elastic-agent|logstash|splunk-otel-collector|"
    r"otel/opentelemetry-collector|opentelemetry-collector-contrib|splunk/fluentd-hec|newrelic-logging|"
    r"stanza|rsyslog|syslog-ng)")
LOGGING_OPERATOR_GROUPS = ("logging.banzaicloud.io", "logging-extensions.banzaicloud.io", "fluentbit.fluent.io",
                           "fluentd.fluent.io")
TRACE_SINK_IMAGES = lazy_re.compile(r"(jaegertracing/|grafana/tempo|openzipkin/zipkin|otel/opentelemetry-collector|"
                               r"opentelemetry-collector|datadog/agent|datadoghq/agent|signoz|skywalking-oap|"
                               r"elastic/apm-server)")
INJECT_PREFIX = "instrumentation.opentelemetry.io/inject-"
LANGUAGES = ("java", "nodejs", "python", "dotnet", "go", "apache-httpd", "nginx", "sdk")


def env_of(container) -> dict:
    """Plain ``name -> value`` env of a container (``valueFrom`` entries map to None)."""
    out = {}
    for entry in sequence(container.data.get("env")):
        if mapping(entry) is not None and entry.get("name"):
            out[str(entry["name"])] = None if "value" not in entry else str(entry["value"])
    return out


def _images(wl):
    return [str(c.data.get("image") or "").lower() for c in wl.containers()]


def otel_config(obj: K8sObject):
    """An OpenTelemetryCollector's ``spec.config`` as a mapping (older CRs keep it as a YAML string)."""
    config = obj.spec.get("config")
    if isinstance(config, str):
        stream = load_stream(config)
        return stream.documents[0].data if stream.documents and not stream.issues else None
    return mapping(config)


def log_collectors(index) -> list[tuple[K8sObject, str]]:
    """Log collectors the repository deploys: agent DaemonSets, logging operator objects, filelog collectors."""
    found = []
    for wl in index.workloads:
        if wl.kind == "DaemonSet" and any(LOG_COLLECTOR_IMAGES.search(i) for i in _images(wl)):
            if any("opentelemetry-collector" in i for i in _images(wl)) and not _mentions_filelog(index, wl):
                continue
            found.append((wl.obj, f"DaemonSet {wl.obj.name} runs a log collector"))
    for obj in index.objects:
        if obj.group in LOGGING_OPERATOR_GROUPS and obj.kind in ("Logging", "FluentbitAgent", "FluentBit",
                                                                  "ClusterFluentBitConfig", "Fluentd"):
            found.append((obj, f"{obj.kind} {obj.name} deploys a log collector"))
        elif obj.kind == "OpenTelemetryCollector" and obj.group == "opentelemetry.io":
            config = otel_config(obj)
            if mapping(dig(config, "receivers")) and any(str(k).startswith("filelog")
                                                         for k in config["receivers"]):
                found.append((obj, f"OpenTelemetryCollector {obj.name} reads container logs (filelog)"))
    return found


def _mentions_filelog(index, wl) -> bool:
    """An OpenTelemetry Collector DaemonSet collects logs only with a filelog receiver in its ConfigMap."""
    for volume in sequence(wl.pod_spec.get("volumes")):
        name = dig(volume, "configMap", "name")
        cm = index.get("ConfigMap", wl.namespace, str(name)) if name else None
        if cm is not None and any("filelog" in str(v) for v in (mapping(cm.data.get("data")) or {}).values()):
            return True
    return False


def trace_sinks(index) -> list[tuple[K8sObject, str]]:
    """Where traces can go: a collector with a traces pipeline, Jaeger, Tempo, Zipkin or an APM agent."""
    found = []
    for obj in index.objects:
        if obj.kind == "OpenTelemetryCollector" and obj.group == "opentelemetry.io":
            if mapping(dig(otel_config(obj), "service", "pipelines", "traces")) is not None:
                found.append((obj, f"OpenTelemetryCollector {obj.name} has a traces pipeline"))
        elif obj.kind == "Jaeger" and obj.group == "jaegertracing.io":
            found.append((obj, f"Jaeger {obj.name}"))
    for wl in index.workloads:
        if any(TRACE_SINK_IMAGES.search(i) for i in _images(wl)):
            found.append((wl.obj, f"{wl.ref} runs a trace backend or collector"))
    return found


def inject_annotations(annotations) -> dict[str, str]:
    """``language -> value`` of the OpenTelemetry operator inject annotations that are not ``false``."""
    out = {}
    for key, value in annotations.items():
        if isinstance(key, str) and key.startswith(INJECT_PREFIX):
            language = key[len(INJECT_PREFIX):]
            if language in LANGUAGES and str(value).lower() != "false":
                out[language] = str(value)
    return out


def instrumentation(index, value: str, namespace: str) -> K8sObject | None:
    """The Instrumentation an inject annotation value names (``true``: the only one in the namespace)."""
    kinds = [o for o in index.of_kind("Instrumentation") if o.group == "opentelemetry.io"]
    if value.lower() == "true":
        here = [o for o in kinds if o.namespace == namespace]
        return here[0] if len(here) == 1 else None
    ns, _, name = value.rpartition("/")
    return next((o for o in kinds if o.name == name and o.namespace == (ns or namespace)), None)
