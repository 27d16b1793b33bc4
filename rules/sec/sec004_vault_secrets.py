"""Secrets management via HashiCorp Vault configured.

## What it does
Checks that every Secret a workload reads (`secretKeyRef`, `envFrom.secretRef`, `secret` and projected volumes)
is produced from Vault: by an External Secrets `ExternalSecret` whose store uses the `vault` provider, a Vault
Secrets Operator object, or a Secrets Store CSI `SecretProviderClass` with `provider: vault`; the Vault Agent
Injector (`vault.hashicorp.com/agent-inject: "true"` with a `role`, on the pod template) counts as Vault wiring.
It reports secrets written into the repository: a rendered Secret whose values hold credentials (a key whose
name says so, key material, or a password line in an embedded config file), a literal env `value` whose name
says it is a secret or whose value looks like key material, and the same in ConfigMaps. An ExternalSecret or
SecretProviderClass backed by another provider is a `warning`. `kubernetes.io/tls` Secrets belong to SEC005.
A Secret that the repository's own workloads generate in the cluster (a Job's `--secret-name`, or a workload
whose Role may create the Secret it names, as argo-cd's redis `secret-init`) never exists in Git and needs no
producer.

## Why it matters
Secrets committed to Git (even base64-encoded) are readable by everyone with access to the repository and its
history, and cannot be rotated without a commit. Vault keeps them out of Git, audits reads and rotates them.

## How to fix
Store the value in Vault and let External Secrets, the Vault Secrets Operator, the CSI driver or the agent
injector deliver it; delete the plaintext Secret and rotate what was committed. Encrypted Secrets (SealedSecret,
SOPS) are not Vault; list their kinds in `accepted_encrypted_kinds` when your policy accepts them, and set
`accept_bank_vaults` when Bank-Vaults injects the secrets.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: DB_PASSWORD
              value: hunter2
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: api-db, key: password}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api-db, namespace: shop}
spec:
  secretStoreRef: {name: vault, kind: SecretStore}
  target: {name: api-db}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: vault, namespace: shop}
spec:
  provider:
    vault: {server: "https://vault.example.com", path: secret, auth: {kubernetes: {role: api}}}
```
"""
import base64
import binascii
import re

from readylint import lazy_re
from readylint.findings import EVIDENCE_UNAVAILABLE, NOT_RELEVANT, Related
from readylint.model.objects import mapping, sequence
from readylint.model.secrets import (BANK_VAULTS, CSI_GROUP, ESO, INJECT, agent_injection, consumed_secrets,
                                     csi_provider_classes, is_vault_provider_class, job_generated_secrets,
                                     literal_secret, producers, secret_content, store_provider)
from readylint.model.tls import certificate_for
from readylint.registry import rule

SKIPPED_TYPES = ("kubernetes.io/service-account-token", "kubernetes.io/tls")
TLS_NAME = lazy_re.compile(r"(^|[-_.])(m?tls|certs?|certificates?)$", re.IGNORECASE)


def judge_workload(index, wl, opts):
    """(failures, unknown reasons, vault evidence) for one workload."""
    failures, unknown, vault = [], [], []
    template_annotations, meta_path = wl.template_annotations, wl.template_meta_path + ("annotations",)
    injected = agent_injection(template_annotations)
    if injected:
        vault.append("Vault Agent injection")
        if not template_annotations.get("vault.hashicorp.com/role"):
            failures.append((wl.at(*meta_path, INJECT), "annotations", f"{wl.ref} enables the Vault Agent "
                             f"Injector without vault.hashicorp.com/role, so the agent cannot log in; add the role."))
    elif injected is None and agent_injection(wl.obj.annotations) and wl.template_path:
        failures.append((wl.obj.at("metadata", "annotations", INJECT), "metadata.annotations",
                         f"{wl.ref} carries {INJECT} on its own metadata, where the injector never looks; move "
                         f"the Vault annotations to the pod template (spec.template.metadata.annotations)."))
    if opts["accept_bank_vaults"] and any(str(k).startswith(BANK_VAULTS) for k in template_annotations):
        vault.append("Bank-Vaults injection")
    for name in csi_provider_classes(wl):
        found = index.get("SecretProviderClass", wl.namespace, name)
        if is_vault_provider_class(found):
            vault.append(found.ref)
    for container in wl.containers():
        for i, env in enumerate(sequence(container.data.get("env"))):
            why = literal_secret(mapping(env).get("name"), mapping(env).get("value")) if mapping(env) else None
            if why:
                failures.append((wl.at(*container.path, "env", i), f"env[{env.get('name')}]",
                                 f"{container.kind_word} '{container.name}' of {wl.ref} sets {env.get('name')} as a "
                                 f"literal value, and {why}; read it from a Secret that Vault produces."))
    accepted = set(opts["accepted_encrypted_kinds"])
    made, generated = producers(index), job_generated_secrets(index)
    for use in consumed_secrets(wl):
        producer = made.get((wl.namespace, use.secret))
        rendered = index.get("Secret", wl.namespace, use.secret)
        if producer is not None:
            kind = "SOPS" if producer.why == "SOPS" else producer.obj.kind
            if producer.vault:
                vault.append(producer.obj.ref)
            elif producer.vault is None:
                unknown.append(f"the store of {producer.obj.ref} is not in the repository")
            elif kind in accepted or producer.obj.group in (ESO, CSI_GROUP):
                vault.append(producer.obj.ref)  # another store's provider is reported on the producer itself
            else:
                label = "" if kind == producer.obj.kind else f" ({kind})"
                failures.append((wl.at(*use.segments), f"secret[{use.secret}]",
                                 f"{wl.ref} reads Secret {use.secret}, which {producer.obj.ref}{label} produces: "
                                 f"encrypted in Git, but not Vault. Move it to Vault, or add {kind} to "
                                 f"accepted_encrypted_kinds if your policy accepts it."))
            continue
        if rendered is not None and (rendered.data.get("type") in SKIPPED_TYPES or _has_values(rendered)):
            continue  # TLS Secrets are SEC005's; a rendered Secret with values is judged as an object below
        if TLS_NAME.search(use.secret) or certificate_for(index, wl.namespace, use.secret) is not None or (
                wl.namespace, use.secret) in generated:
            continue  # certificates (cert-manager, install-time generators) belong to SEC005
        related = [Related(rendered.at("kind"), f"{rendered.ref} is rendered here without a Vault producer.")] \
            if rendered is not None else []
        failures.append((wl.at(*use.segments), f"secret[{use.secret}]",
                         f"{wl.ref} reads Secret {use.secret} ({use.how}), but nothing in the repository produces "
                         f"it from Vault; add an ExternalSecret backed by a Vault store (or Vault Secrets Operator "
                         f"object) that creates it.", related))
    return failures, unknown, vault


def _has_values(secret):
    return any(v not in (None, "") for field in ("data", "stringData")
               for v in (mapping(secret.data.get(field)) or {}).values())


def judge_secret(obj):
    """Where a rendered Secret holds a credential in the repository, or None."""
    if obj.data.get("type") in SKIPPED_TYPES or mapping(obj.data.get("sops")) is not None:
        return None
    for field, encoded in (("stringData", False), ("data", True)):
        values = mapping(obj.data.get(field))
        for key, value in (values or {}).items():
            if value in (None, ""):
                continue
            text = _decode(value) if encoded else value
            why = literal_secret(key, "x") or ("its value is not base64 text, so it is treated as a credential"
                                               if text is None else secret_content(key, text))
            if why:
                return field, key, why
    return None


def _decode(value):
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@rule(code="SEC004", slug="vault-secrets", scope="workload", severity="error", confidence="high", evidence="M,R",
      options={"accepted_encrypted_kinds": [], "accept_bank_vaults": False})
def check(index, opts):
    for wl in index.workloads_for(long_running=None, skip_hooks=False):
        subject = wl.subject()
        failures, unknown, vault = judge_workload(index, wl, opts)
        for failure in failures:
            at, path, message = failure[:3]
            yield subject.fail(message, at=at, key_path=path, related=failure[3] if len(failure) > 3 else ())
        if failures:
            continue
        if unknown:
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, "; ".join(unknown))
        elif vault:
            yield subject.passed(f"secrets from {', '.join(sorted(set(vault)))}")
        else:
            yield subject.not_applicable(NOT_RELEVANT, "consumes no Secret that needs Vault (none, or only TLS "
                                                       "and credential-free config Secrets)")
    for obj in index.objects:
        if index.is_excluded(obj) or obj.group != "" and obj.group not in (ESO, CSI_GROUP):
            continue
        if obj.kind == "Secret" and obj.group == "":
            found = judge_secret(obj)
            if found:
                field, key, why = found
                yield obj.subject().fail(f"{obj.ref} is committed with its values in {field}, and entry {key}: "
                                         f"{why}; deliver it from Vault and rotate what was committed.",
                                         at=obj.at(field), key_path=field)
        elif obj.kind == "ConfigMap" and obj.group == "":
            for key, value in (mapping(obj.data.get("data")) or {}).items():
                why = literal_secret(key, value)
                if why:
                    yield obj.subject().fail(f"{obj.ref} holds {key} in plain text, and {why}; move it to Vault.",
                                             at=obj.at("data", key), key_path=f"data.{key}")
        elif obj.kind in ("ExternalSecret", "SecretProviderClass"):
            yield from _other_provider(index, obj)


def _other_provider(index, obj):
    if obj.kind == "SecretProviderClass" and obj.group == CSI_GROUP:
        provider = str(obj.spec.get("provider", ""))
        if provider and provider.lower() != "vault":
            yield obj.subject().fail(f"{obj.ref} reads secrets from the {provider} provider, not Vault; use the "
                                     f"Vault provider or record why this store is accepted.",
                                     at=obj.at("spec", "provider"), key_path="spec.provider", level="warning")
    elif obj.kind == "ExternalSecret":
        is_vault, why = store_provider(index, obj)
        if is_vault is False:
            yield obj.subject().fail(f"{obj.ref} reads from {why}, not Vault; point it at a Vault-backed store.",
                                     at=obj.at("spec", "secretStoreRef"), key_path="spec.secretStoreRef",
                                     level="warning")
