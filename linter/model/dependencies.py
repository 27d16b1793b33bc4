"""Outbound dependencies of workloads, discovered as rules.md 0.10 says (env URLs and hosts, ExternalName
Services, ServiceEntries), with the in-cluster Service they resolve to and whether they are databases.

``workload_dependencies(index, wl)`` and ``all_dependencies(index)`` are computed once per run.
Telemetry and platform endpoints are infrastructure, not dependencies (``infrastructure_hosts`` globs).
"""
from __future__ import annotations

import fnmatch
from typing import NamedTuple

from .. import lazy_re
from ..findings import Location
from .objects import K8sObject, mapping, sequence
from .selectors import service_selector_matches

ENV_SUFFIXES = ("_URL", "_URI", "_HOST", "_HOSTNAME", "_ENDPOINT", "_DSN", "_ADDR", "_ADDRESS")
# Env names that point at the workload itself or at telemetry, never at a dependency.
SELF_OR_INFRA_NAMES = lazy_re.compile(r"(^|_)(LISTEN|BIND|PUBLIC|BASE|SELF|CALLBACK|REDIRECT|ADVERTISE[D]?|HEALTH|"
                                 r"OTEL|OTLP|JAEGER|ZIPKIN|TRACING|TRACE|COLLECTOR|METRICS|PROMETHEUS|STATSD|"
                                 r"DD|DOGSTATSD|SENTRY|LOGGING|LOG|PROFILER|POD|NODE|KUBERNETES)(_|$)")
DEFAULT_INFRA_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::", "[::]", "kubernetes.default*",
                       "*otel*", "*opentelemetry*", "*collector*", "*jaeger*", "*zipkin*", "*tempo*",
                       "*prometheus*", "*pushgateway*", "*loki*", "*statsd*", "*datadog*", "*fluent*",
                       "169.254.169.254", "metadata.google.internal", "accounts.google.com", "oauth2.googleapis.com",
                       "sts.amazonaws.com", "login.microsoftonline.com")
DATABASE_SCHEMES = {"postgres": "PostgreSQL", "postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB",
                    "sqlserver": "SQL Server", "mssql": "SQL Server", "oracle": "Oracle", "cockroachdb": "CockroachDB",
                    "mongodb": "MongoDB", "mongodb+srv": "MongoDB"}
DATABASE_PORTS = {5432: "PostgreSQL", 3306: "MySQL", 27017: "MongoDB", 1433: "SQL Server", 26257: "CockroachDB",
                  1521: "Oracle"}
DATABASE_NAMES = lazy_re.compile(r"(^|_)(DATABASE|DB|POSTGRES|POSTGRESQL|PG|PGHOST|MYSQL|MARIADB|MONGO|MONGODB|JDBC|"
                            r"DATASOURCE|SQL)(_|$)")
DATABASE_IMAGES = lazy_re.compile(r"(^|/)(postgres|postgresql|postgis|mysql|mariadb|mongo|mongodb|cockroach)(:|@|$)")
_HOST = lazy_re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$")
_CNPG_SERVICE = lazy_re.compile(r"^(?P<cluster>.+)-(rw|ro|r)$")


class Dependency(NamedTuple):
    """One outbound dependency as one workload reveals it (an env entry), or a namespace-level object."""

    namespace: str
    host: str  # lower-case host, "" when the value comes from a Secret or ConfigMap
    port: int | None
    scheme: str
    env: str  # env var name, or "" for ServiceEntry / ExternalName
    location: Location
    workload: object = None  # the Workload, for env dependencies
    container: str = ""
    service: K8sObject | None = None  # the in-cluster Service the host resolves to
    origin: K8sObject | None = None  # ServiceEntry or ExternalName Service
    database: str = ""  # database engine when it is one

    @property
    def label(self) -> str:
        return self.host or f"${self.env}"

    @property
    def in_cluster(self) -> bool:
        return self.service is not None

    @property
    def cluster_local(self) -> bool:
        """The host can only be a cluster Service (a bare name or a `.svc` name), rendered here or not: an
        optional component of the same application, never an external service."""
        return bool(self.host) and ("." not in self.host or self.host.endswith((".svc", ".svc.cluster.local")))


def _parse(value: str):
    """(scheme, host, port) of a URL, ``jdbc:`` URL or ``host[:port]`` value, or None."""
    value = value.strip()
    if not value or "$(" in value or "{{" in value:
        return None
    if value.lower().startswith("jdbc:"):
        value = value[5:]
    if "://" in value:
        from urllib.parse import urlsplit  # loaded with the first URL a workload names

        try:
            parts = urlsplit(value)
            host, port = parts.hostname or "", parts.port
        except ValueError:
            return None
        return parts.scheme.lower(), host.lower(), port
    lowered = value.lower()
    if not _HOST.match(lowered):
        return None
    host, _, port = lowered.partition(":")
    if host.isdigit():
        return None
    return "", host, int(port) if port else None


def is_infrastructure(host: str, extra=()) -> bool:
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in DEFAULT_INFRA_HOSTS + tuple(extra))


def resolve_service(index, host: str, namespace: str) -> K8sObject | None:
    """The Service a cluster DNS name reaches: ``svc``, ``svc.ns``, ``svc.ns.svc[.cluster.local]``."""
    parts = host.split(".")
    if len(parts) == 1:
        return index.get("Service", namespace, parts[0])
    if len(parts) == 2 or (len(parts) >= 3 and parts[2] == "svc"):
        return index.get("Service", parts[1], parts[0])
    return None


def _database(index, env: str, scheme: str, port, service, host, namespace) -> str:
    if scheme in DATABASE_SCHEMES:
        return DATABASE_SCHEMES[scheme]
    if scheme in ("redis", "rediss", "amqp", "amqps", "http", "https", "grpc", "kafka", "nats"):
        return ""
    if port in DATABASE_PORTS:
        return DATABASE_PORTS[port]
    if service is not None:
        for wl in backends(index, service):
            for container in wl.containers():
                if DATABASE_IMAGES.search(str(container.data.get("image") or "").lower()):
                    return "database"
    cnpg = _CNPG_SERVICE.match(host.split(".")[0]) if host else None
    if cnpg and index.get("Cluster", namespace, cnpg["cluster"]) is not None:
        return "PostgreSQL"
    if DATABASE_NAMES.search(env) and "REDIS" not in env and "CACHE" not in env:
        return "database"
    return ""


def backends(index, service) -> list:
    """Workloads whose pods a Service selects (cached per run)."""
    cache = index.__dict__.setdefault("_backend_cache", {})
    if id(service) not in cache:
        selector = mapping(service.spec.get("selector"))
        by_ns = index.__dict__.setdefault("_workloads_by_ns", {})
        if not by_ns:
            for wl in index.workloads:
                by_ns.setdefault(wl.namespace, []).append(wl)
        cache[id(service)] = [wl for wl in by_ns.get(service.namespace, ())
                              if selector and service_selector_matches(selector, wl.labels)]
    return cache[id(service)]


def _env_dependencies(index, wl, infra) -> list[Dependency]:
    found = []
    for container in wl.containers():
        for i, entry in enumerate(sequence(container.data.get("env"))):
            if mapping(entry) is None or not entry.get("name"):
                continue
            name = str(entry["name"]).upper()
            if not name.endswith(ENV_SUFFIXES) or SELF_OR_INFRA_NAMES.search(name.rsplit("_", 1)[0] + "_"):
                continue
            at = wl.at(*container.path, "env", ("name", entry["name"]))
            if "valueFrom" in entry and "value" not in entry:
                db = "database" if DATABASE_NAMES.search(name) and "REDIS" not in name else ""
                found.append(Dependency(wl.namespace, "", None, "", str(entry["name"]), at, wl, container.name,
                                        database=db))
                continue
            parsed = _parse(str(entry.get("value") or ""))
            if parsed is None:
                continue
            scheme, host, port = parsed
            if not host or is_infrastructure(host, infra):
                continue
            service = resolve_service(index, host, wl.namespace)
            if service is not None and any(b.obj is wl.obj for b in backends(index, service)):
                continue  # the workload's own Service
            found.append(Dependency(wl.namespace, host, port, scheme, str(entry["name"]), at, wl, container.name,
                                    service, database=_database(index, name, scheme, port, service, host,
                                                                wl.namespace)))
    return found


def _object_dependencies(index, infra) -> list[Dependency]:
    found = []
    for svc in index.of_kind("Service"):
        if svc.spec.get("type") == "ExternalName" and svc.spec.get("externalName"):
            host = str(svc.spec["externalName"]).lower()
            if not is_infrastructure(host, infra) and not index.is_excluded(svc):
                found.append(Dependency(svc.namespace, host, None, "", "", svc.at("spec", "externalName"),
                                        origin=svc))
    for entry in index.of_kind("ServiceEntry"):
        if not entry.group.endswith("istio.io") or index.is_excluded(entry):
            continue
        for i, host in enumerate(sequence(entry.spec.get("hosts"))):
            host = str(host).lower()
            if not host.startswith("*") and not is_infrastructure(host, infra):
                found.append(Dependency(entry.namespace, host, None, "", "", entry.at("spec", "hosts", i),
                                        origin=entry))
    return found


def workload_dependencies(index, wl, infra=()) -> list[Dependency]:
    """The dependencies a workload's env reveals (its own Service and infrastructure left out)."""
    cache = index.__dict__.setdefault("_dependency_cache", {})
    key = (id(wl.obj), tuple(infra))
    if key not in cache:
        cache[key] = _env_dependencies(index, wl, infra)
    return cache[key]


def all_dependencies(index, infra=()) -> list[Dependency]:
    """Env dependencies of long-running workloads, then ExternalName Services and ServiceEntry hosts
    (wildcard hosts are egress allow-lists, not one dependency)."""
    found = []
    for wl in index.workloads_for(long_running=True):
        found.extend(workload_dependencies(index, wl, infra))
    return found + _object_dependencies(index, infra)
