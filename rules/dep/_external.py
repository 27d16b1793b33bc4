"""External dependencies of the rendered workloads, grouped by host, shared by DEP001, DEP004 and DEP005.

A dependency is external when the host it names resolves to no Service rendered in the repository and is
not a cluster-local name (a bare `shoppingassistantservice` or a `.svc` name is an optional component of the
same application: the repository's own components are documented by its architecture, not by a dependency
inventory). Values taken from a Secret or ConfigMap are kept under their env name (``$PAYMENTS_URL``). The
inventory that documents them is ``_inventory``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from readylint.findings import Location
from readylint.model.dependencies import all_dependencies

GENERIC_LABELS = {"api", "www", "com", "net", "org", "io", "co", "dev", "app", "cloud", "svc", "cluster", "local",
                  "internal", "amazonaws", "googleapis", "azure", "windows", "example", "prod", "production", "eu",
                  "us", "service", "services", "default", "http", "https", "grpc", "url", "uri", "host", "hostname",
                  "endpoint", "addr", "address", "dsn"}

@dataclass
class ExternalDependency:
    label: str                      # host, or "$ENV" when the value comes from a Secret
    names: tuple                    # words that identify it in an inventory
    locations: list = field(default_factory=list)  # (Location, what) where it is revealed
    database: str = ""

    @property
    def location(self) -> Location:
        return self.locations[0][0]


def infra_option(opts) -> tuple:
    return tuple(h.strip() for h in str(opts.get("infrastructure_hosts") or "").split(",") if h.strip())


def names_of(host: str, env: str) -> tuple:
    names = []
    if host:
        names.append(host)
        labels = [p for p in re.split(r"[.:]", host) if p and not p.isdigit()]
        names += [p for p in labels[:-1] if p not in GENERIC_LABELS and len(p) >= 3]
    if env:
        names.append(env.lower())
        stem = re.sub(r"_(URL|URI|HOST|HOSTNAME|ENDPOINT|DSN|ADDR|ADDRESS)$", "", env.upper()).lower()
        words = [w for w in stem.split("_") if w and w not in GENERIC_LABELS]
        if words:
            names += [" ".join(words), "-".join(words), "".join(words)]
            if not host:
                names += [w for w in words if len(w) >= 4]
    return tuple(dict.fromkeys(names))


def external_dependencies(index, infra=()) -> list[ExternalDependency]:
    """External dependencies grouped by host (or env name), in order of first appearance."""
    grouped: dict[str, ExternalDependency] = {}
    for dep in all_dependencies(index, infra):
        if dep.in_cluster or dep.cluster_local:
            continue
        label = dep.host or f"${dep.env}"
        what = (f"env {dep.env} of {dep.workload.ref}" if dep.workload is not None else
                f"{dep.origin.ref}" if dep.origin is not None else label)
        found = grouped.get(label)
        if found is None:
            found = grouped[label] = ExternalDependency(label, names_of(dep.host, "" if dep.host else dep.env),
                                                        database=dep.database)
        found.locations.append((dep.location, what))
    return list(grouped.values())
