"""Probe questions HA006 asks: which handler a probe uses, named ports, and who takes Service traffic."""
from __future__ import annotations

from .objects import dig, mapping, sequence

PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def probe(container, name):
    return mapping(container.data.get(name))


def named_port_problems(container):
    """(probe, handler, port name) for each probe port naming no entry of the container's ``ports[]``."""
    declared = {str(p.get("name")) for p in sequence(container.data.get("ports")) if mapping(p) and p.get("name")}
    problems = []
    for name in PROBES:
        data = probe(container, name) or {}
        for handler in ("httpGet", "tcpSocket"):  # grpc ports are numbers only
            port = dig(data, handler, "port")
            if isinstance(port, str) and not port.isdigit() and port not in declared:
                problems.append((name, handler, port))
    return problems


def same_probe(a, b) -> bool:
    """Readiness and liveness that are identical in every field (plain-data comparison)."""
    return a is not None and b is not None and _plain(a) == _plain(b)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def traffic_containers(index, wl) -> set[str]:
    """Names of the containers that Service ports target; every container when none can be told apart."""
    regular = [c for c in wl.containers() if c.long_running]
    names, numbers = set(), set()
    for service in index.services_selecting(wl):
        service_names, service_numbers = _service_targets(index, service)
        names |= service_names
        numbers |= service_numbers
    hit = set()
    for c in regular:
        for declared in sequence(c.data.get("ports")):
            if mapping(declared) is None:
                continue
            name = declared.get("name")
            if (isinstance(name, str) and name in names) or str(declared.get("containerPort")) in numbers:
                hit.add(c.name)
    return hit or {c.name for c in regular}


def _service_targets(index, service) -> tuple[set, set]:
    """(port names, port numbers as text) a Service's ports target, read once per Service and run: a workload
    in a namespace with many copies of a chart is selected by every copy's Service."""
    known = vars(index).setdefault("_service_targets", {})
    if id(service) not in known:
        names, numbers = set(), set()
        for port in sequence(service.spec.get("ports")):
            if mapping(port) is None:
                continue
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str) and not target.isdigit():
                names.add(target)
            numbers.add(str(target))
        known[id(service)] = (names, numbers)
    return known[id(service)]
