"""Audit logging enabled.

## What it does
Looks for audit evidence at any layer the repository can hold. **Cluster**: an `audit.k8s.io/v1`
Policy with a rule at `Metadata` or above covering Secrets, ConfigMaps and RBAC, `RequestResponse` for
sensitive writes, and `omitStages: [RequestReceived]`; a Policy whose only rule is `level: None`
records nothing. **Database**: CloudNativePG or Zalando `postgresql` with `pgaudit` in
`shared_preload_libraries` and `pgaudit.log` set to something other than `none`. **Vault**: an audit
device (`vault audit enable`, an `audit "file"` stanza, or the Helm chart's `server.auditStorage`).
**Application**: a logging-operator Flow or ClusterFlow for audit logs routed to an output. The claim
`platform.audit: provided` covers the cluster layer (cluster audit is configured on the API server,
usually outside application repositories).

## Why it matters
When something changed that should not have, the audit log is the only record of who did it; without
it an incident review or a compliance audit ends with "we don't know".

## How to fix
Enable the layer you own: `pgaudit` with `pgaudit.log: "ddl, role, write"` for the database, a Vault
audit device, an audit log Flow for the application, or declare `platform.audit: provided` when the
platform team runs API server auditing.

## Example
```yaml fail file=deploy/db.yaml
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: db, namespace: shop}
spec:
  instances: 3
  postgresql:
    shared_preload_libraries: [pgaudit]
```
```yaml pass file=deploy/db.yaml
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: db, namespace: shop}
spec:
  instances: 3
  postgresql:
    parameters:
      pgaudit.log: "ddl, role, write"
```
"""
import re

from readylint import lazy_re
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

LEVELS = {"None": 0, "Metadata": 1, "Request": 2, "RequestResponse": 3}
SENSITIVE = {"secrets", "configmaps", "roles", "rolebindings", "clusterroles", "clusterrolebindings"}
VAULT_AUDIT = lazy_re.compile(r"vault\s+audit\s+enable|^\s*audit\s+\"\w+\"\s*\{", re.MULTILINE)


@rule(code="COMP001", slug="audit-logging", scope="repository", severity="warning", confidence="low",
      evidence="M, R")
def check(index, opts):
    subject = index.repo.subject("audit", "audit logging")
    evidence, failures = [], []
    if str((index.settings.get("platform") or {}).get("audit") or "").lower() == "provided":
        evidence.append("claim: platform.audit (cluster layer)")
    _policies(index, evidence, failures)
    _postgres(index, evidence, failures)
    _vault(index, evidence)
    _flows(index, evidence)
    for message, at, key in failures:
        yield subject.fail(message, at=at, key_path=key)
    if evidence and not failures:
        yield subject.passed("; ".join(evidence))
    elif not evidence and not failures:
        yield subject.fail("No audit logging in the repository: no audit Policy, no pgaudit, no Vault audit device "
                           "and no audit log Flow. Enable the layer this repository owns, or declare "
                           "platform.audit: provided when the platform audits the cluster.", at=index.repo.anchor(),
                           key_path="audit.missing")


def _policies(index, evidence, failures):
    for obj in index.all_objects:
        if obj.kind != "Policy" or not obj.group.startswith("audit.k8s.io"):
            continue
        rules = [mapping(r) or {} for r in sequence(obj.data.get("rules"))]
        levels = [LEVELS.get(str(r.get("level")), 0) for r in rules]
        if not rules or max(levels) == 0:
            failures.append((f"The audit Policy {obj.name or obj.path} records nothing: its only rule is level: "
                             f"None. Log Secrets, ConfigMaps and RBAC changes at Metadata or above.",
                             obj.at("rules", 0, "level"), f"{obj.path}.rules"))
            continue
        covered = set()
        for r, level in zip(rules, levels):
            if level == 0:
                continue
            resources = {str(x) for g in sequence(r.get("resources")) for x in sequence((mapping(g) or {})
                                                                                         .get("resources"))}
            if not sequence(r.get("resources")):
                covered |= SENSITIVE  # a catch-all rule
            covered |= resources & SENSITIVE
        missing = sorted(SENSITIVE - covered)
        if missing:
            failures.append((f"The audit Policy {obj.name or obj.path} does not log {', '.join(missing)} at Metadata "
                             f"or above; add a rule for them.", obj.at("rules"), f"{obj.path}.rules.coverage"))
            continue
        evidence.append(f"audit Policy {obj.path}")


def _postgres(index, evidence, failures):
    for obj in index.objects:
        if (obj.group, obj.kind) == ("postgresql.cnpg.io", "Cluster"):
            block = mapping(obj.spec.get("postgresql")) or {}
            libraries = " ".join(str(x) for x in sequence(block.get("shared_preload_libraries")))
            params = mapping(block.get("parameters")) or {}
            path = ("spec", "postgresql", "parameters")
        elif (obj.group, obj.kind) == ("acid.zalan.do", "postgresql"):
            params = mapping(dig(obj.spec, "postgresql", "parameters")) or {}
            libraries = str(params.get("shared_preload_libraries") or "")
            path = ("spec", "postgresql", "parameters")
        else:
            continue
        log = str(params.get("pgaudit.log") or "").strip().lower()
        # CloudNativePG preloads pgaudit itself as soon as a pgaudit.* parameter is set.
        preloaded = "pgaudit" in libraries or (obj.group == "postgresql.cnpg.io" and any(
            str(k).startswith("pgaudit.") for k in params))
        if preloaded and log in ("", "none"):
            failures.append((f"{obj.ref} preloads pgaudit but pgaudit.log is {log or 'unset'}, so nothing is "
                             f"audited; set pgaudit.log (e.g. \"ddl, role, write\").", obj.at(*path),
                             f"{obj.ref}.pgaudit.log"))
        elif preloaded:
            evidence.append(f"pgaudit on {obj.ref}")


def _vault(index, evidence):
    for path in index.repo.glob("**/*.hcl", "**/*.sh", "**/vault*.yaml", "**/vault*.yml"):
        if VAULT_AUDIT.search(index.repo.text(path) or ""):
            evidence.append(f"Vault audit device in {path}")
            return
    for path, documents in index.documents.items():
        for doc in documents:
            if dig(doc.data, "server", "auditStorage", "enabled") is True:
                evidence.append(f"Vault auditStorage in {path}")
                return


def _flows(index, evidence):
    for obj in index.objects:
        if obj.kind in ("Flow", "ClusterFlow") and obj.group.startswith("logging.banzaicloud.io") and \
                "audit" in (obj.name + str(obj.spec.get("match") or "") + str(obj.spec.get("filters") or "")).lower() \
                and (obj.spec.get("localOutputRefs") or obj.spec.get("globalOutputRefs")):
            evidence.append(f"audit log {obj.ref}")
            return
