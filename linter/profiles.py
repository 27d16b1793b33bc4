"""Profiles for gradual adoption: named selections of checklist items, each adding to the one before.

`minimal` is what a team can make green in its first week and what hurts most when missing; `standard` is what
a service needs before it takes real traffic; `production` is the whole checklist (the default). Custom rules
always run: the team wrote them. README.md "Profiles" lists the same items (a test keeps the two equal).
"""
from __future__ import annotations

from typing import NamedTuple

NAMES = ("minimal", "standard", "production")
DEFAULT = "production"


class Step(NamedTuple):
    """One profile: its name, the checklist codes it adds to the one before, and why they belong together."""

    name: str
    adds: tuple  # checklist codes this profile adds to the one before
    why: str


STEPS = (
    Step("minimal", (
        "SEC002", "SEC003", "SEC007",       # containers that cannot take the node down or run as root
        "HA001", "HA003", "HA006",          # survives a node drain and restarts itself
        "OBS001", "OBS003",                 # someone is told when it breaks
        "CD004", "CD005",                   # every change is built, tested and reviewed
        "DOC002", "DR001",                  # the on-call engineer has a runbook and the data a backup
    ), "Manifest hygiene and the safety nets whose absence turns an incident into an outage: a team can make "
       "these green in its first week, mostly with high-confidence findings on Kubernetes manifests."),
    Step("standard", (
        "SEC001", "SEC004", "SEC005", "SEC006",
        "HA002", "HA004", "HA005",
        "OBS002", "OBS004", "OBS005", "OBS006",
        "CD001", "CD006",
        "DOC004", "DOC005", "DOC006",
        "DR002", "DR003", "DR004",
        "COMP004", "COMP005",
        "DEP001", "DEP002",
        "TEST001", "TEST002", "TEST005",
        "OPS001", "OPS002", "OPS003", "OPS004",
    ), "What a service needs before it takes real traffic: network isolation, managed secrets and TLS, spread "
       "and autoscaling, dashboards, logs, traces and SLOs, GitOps with reviews, incident/deploy/rollback "
       "procedures, tested restores with RPO/RTO, tests in CI, and an on-call rotation."),
    Step("production", (
        "CD002", "CD003",
        "DOC001", "DOC003",
        "PERF001", "PERF002", "PERF003", "PERF004", "PERF005", "PERF006",
        "COMP001", "COMP002", "COMP003", "COMP006",
        "DR005", "DR006",
        "DEP003", "DEP004", "DEP005", "DEP006",
        "TEST003", "TEST004", "TEST006",
        "OPS005", "OPS006",
    ), "The whole checklist: progressive delivery with automated rollback, current architecture and API docs, "
       "performance and capacity work, compliance, failover and cross-region recovery, resilience to failing "
       "dependencies, end-to-end, chaos and performance tests, maintenance windows."),
)


class UnknownProfile(ValueError):
    pass


def codes(name: str) -> frozenset:
    """Checklist codes a profile runs: its own additions and those of every profile before it."""
    if name not in NAMES:
        raise UnknownProfile(f"unknown profile '{name}' (profiles: {', '.join(NAMES)})")
    out: set = set()
    for step in STEPS:
        out |= set(step.adds)
        if step.name == name:
            return frozenset(out)
    raise AssertionError(name)  # pragma: no cover


def profile_of(code: str) -> str | None:
    """The first profile that runs ``code`` (None for custom and tool rules)."""
    for step in STEPS:
        if code in step.adds:
            return step.name
    return None
