"""How this repository is actually deployed, so deployment and rollback docs can be checked against it."""
from __future__ import annotations

import re
from dataclasses import dataclass

from readylint.findings import Location
from readylint.model.ci import pipelines
from readylint.model.deploy_units import is_chart_file
from readylint.model.gitops import applications
from readylint.model.objects import mapping

MIGRATION_GLOBS = ("**/migrations/**/*.sql", "**/migrations/*.py", "**/migrate/*.rb", "**/*.up.sql", "**/V*__*.sql",
                   "**/alembic/versions/*.py", "**/db/changelog/**", "**/liquibase/**/*.xml", "**/migrations/*.ts",
                   "**/migrations/*.js", "**/prisma/migrations/**")
DEPLOY_JOB = re.compile(r"deploy|release|rollout|promote|publish", re.IGNORECASE)


@dataclass(frozen=True)
class Delivery:
    automated_apps: tuple   # (App, Location of syncPolicy.automated)
    apps: tuple
    helm: bool
    plain_manifests: bool   # manifests committed as files (microservices-demo's release/), beside a chart or not
    rollouts: bool
    workflows: tuple        # (name, path) of CI pipelines with a deploy-like job
    migrations: tuple       # migration files


def delivery(index) -> Delivery:
    cached = index.__dict__.get("_delivery")
    if cached is not None:
        return cached
    apps = tuple(applications(index))
    automated = []
    for app in apps:
        policy = mapping(app.spec.get("syncPolicy"))
        if policy is not None and "automated" in policy and policy.get("automated") is not None:
            flag = mapping(policy.get("automated"))
            if flag is None or flag.get("enabled") is not False:
                automated.append((app, app.at("syncPolicy", "automated")))
    helm = any(is_chart_file(p) for p in index.repo.glob("Chart.yaml", "**/Chart.yaml")) or any(
        "helm.sh/chart" in o.labels for o in index.objects[:500])
    plain = any(not o.path.startswith("<") for o in index.objects)  # "<...>" is output readylint rendered
    rollouts = any(o.kind == "Rollout" and o.group == "argoproj.io" for o in index.objects)
    workflows = []
    for pipeline in pipelines(index):
        if any(DEPLOY_JOB.search(j.key + " " + (j.name or "") + " " + (j.environment or "")) for j in pipeline.jobs):
            workflows.append((pipeline.name or pipeline.path, pipeline.path))
    found = Delivery(tuple(automated), apps, helm, plain, rollouts, tuple(workflows),
                     tuple(index.repo.glob(*MIGRATION_GLOBS)))
    index.__dict__["_delivery"] = found
    return found


def lines_matching(doc, start: int, end: int, pattern: str):
    """(Location, line text) of each line of doc[start..end] matching ``pattern`` (case-insensitive)."""
    regex = re.compile(pattern, re.IGNORECASE)
    for number in range(start, min(end, len(doc.lines)) + 1):
        found = regex.search(doc.lines[number - 1])
        if found:
            yield Location(doc.path, number, found.start() + 1), doc.lines[number - 1].strip()
