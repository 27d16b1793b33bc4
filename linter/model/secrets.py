"""Secrets evidence: which Secrets a workload consumes, who produces them, and literal secrets in manifests.

Producers are read from the render: External Secrets Operator ExternalSecrets (and the provider of their
store), Vault Secrets Operator objects, Secrets Store CSI SecretProviderClasses that sync a Secret,
SealedSecrets and SOPS-encrypted Secrets. Vault Agent injection is read from the pod template annotations.
"""
from __future__ import annotations

import re
import weakref
from typing import NamedTuple

from .. import lazy_re
from ..inputs.yaml_docs import YMap
from .objects import K8sObject, dig, mapping, sequence
from .workloads import Workload

ESO = "external-secrets.io"
VSO = "secrets.hashicorp.com"
VSO_KINDS = ("VaultStaticSecret", "VaultDynamicSecret", "VaultPKISecret")
CSI_GROUP = "secrets-store.csi.x-k8s.io"
INJECT = "vault.hashicorp.com/agent-inject"
BANK_VAULTS = "vault.security.banzaicloud.io/"
SECRET_NAME = lazy_re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|(^|_)DSN$", re.IGNORECASE)
# Names that talk about a secret without holding one: file paths, Secret names, URLs, switches, sizes.
NOT_A_VALUE = lazy_re.compile(r"(_|\.|-)?(FILE|PATH|DIR|NAME|REF|URL|URI|ENDPOINT|HOST|PORT|ENABLED?|TTL|TIMEOUT|"
                         r"EXPIRY|EXPIRATION|LENGTH|HEADER|TYPE|MOUNT|KEY_ID|ID|DURATION|TIME|VERSION|PREFIX|PATTERN|"
                         r"POLICY|"
                         r"REGEX|FORMAT|FIELD|PARAM|SOURCE|KIND|MTIME|LIMIT)$",
                         re.IGNORECASE)
KEY_MATERIAL = lazy_re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|"
                          r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s@/]+@", re.IGNORECASE)
REFERENCE = lazy_re.compile(r"^(\$\(|\$\{|\$[A-Za-z_]|vault:|<|\{\{|ref\+|secret://)")
PLACEHOLDER_VALUES = frozenset({"", "true", "false", "null", "none", "''", '""'})
# A setting inside an embedded config file (INI, YAML, properties) whose key says it holds a credential.
CONFIG_SECRET_LINE = lazy_re.compile(r"""^\s*["']?([\w.-]*(?:password|passwd|secret|token|api_?key|private_?key|"""
                                r"""credential|webhook_url|api_url|routing_key|service_key)[\w.-]*)["']?\s*[:=]\s*"""
                                r"""["']?([^"'\s#,{}\[\]][^"'\n]*)""", re.IGNORECASE | re.MULTILINE)


class Consumption(NamedTuple):
    """A Secret a workload reads: its name and where the reference sits in the pod-template object."""

    secret: str
    segments: tuple
    how: str  # "env", "envFrom", "volume", "projected volume"


class Producer(NamedTuple):
    """An object that creates a Secret: ``vault`` tells whether the data come from Vault."""

    obj: K8sObject
    vault: bool | None  # None: the store or provider is not in the repository
    why: str


def consumed_secrets(wl: Workload) -> list[Consumption]:
    """Secrets read through env, envFrom, secret volumes and projected sources (first reference each)."""
    out, seen = [], set()

    def add(name, segments, how):
        if isinstance(name, str) and name and name not in seen:
            seen.add(name)
            out.append(Consumption(name, segments, how))

    for container in wl.containers():
        for i, env in enumerate(sequence(container.data.get("env"))):
            name = dig(env, "valueFrom", "secretKeyRef", "name")
            add(name, container.path + ("env", i, "valueFrom", "secretKeyRef", "name"), "env")
        for i, source in enumerate(sequence(container.data.get("envFrom"))):
            add(dig(source, "secretRef", "name"), container.path + ("envFrom", i, "secretRef", "name"), "envFrom")
    for i, volume in enumerate(sequence(wl.pod_spec.get("volumes"))):
        add(dig(volume, "secret", "secretName"), wl.pod_spec_path + ("volumes", i, "secret", "secretName"), "volume")
        for j, source in enumerate(sequence(dig(volume, "projected", "sources"))):
            add(dig(source, "secret", "name"),
                wl.pod_spec_path + ("volumes", i, "projected", "sources", j, "secret", "name"), "projected volume")
    return out


_GENERATED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def job_generated_secrets(index) -> set[tuple[str, str]]:
    """Secrets the repository's own workloads create in the cluster: a Job's ``--secret-name=`` (as
    kube-webhook-certgen), or a workload whose Role may create the Secret it names."""
    if index in _GENERATED:
        return _GENERATED[index]
    out = _GENERATED[index] = set()
    for wl in index.workloads:
        if wl.kind not in ("Job", "CronJob", "Pod"):
            continue
        for container in wl.containers():
            for arg in sequence(container.data.get("args")) + sequence(container.data.get("command")):
                match = re.match(r"--secret-name[= ](\S+)", str(arg))
                if match:
                    out.add((wl.namespace, match.group(1)))
    out |= _secrets_generated_in_cluster(index)
    return out


def _secrets_generated_in_cluster(index) -> set[tuple[str, str]]:
    """Secrets a workload of the repository creates itself: its ServiceAccount's Role may `create` Secrets and
    names the Secret in `resourceNames` (argo-cd's redis `secret-init` container generates the argocd-redis
    password this way). The value never exists in Git, so no Vault producer is needed."""
    accounts = {(wl.namespace, str(wl.pod_spec.get("serviceAccountName") or "default")) for wl in index.workloads}
    found = set()
    for binding in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        bound = {(str(s.get("namespace") or binding.namespace), str(s.get("name")))
                 for s in sequence(binding.data.get("subjects"))
                 if isinstance(s, dict) and s.get("kind") == "ServiceAccount"} & accounts
        ref = binding.data.get("roleRef") if isinstance(binding.data.get("roleRef"), dict) else {}
        if not bound or not ref.get("name"):
            continue
        kind = str(ref.get("kind") or "Role")
        role = index.get(kind, "" if kind == "ClusterRole" else binding.namespace, str(ref["name"]))
        rules = [r for r in sequence(role.data.get("rules")) if isinstance(r, dict)
                 and "secrets" in sequence(r.get("resources"))] if role is not None else []
        if not any({"create", "*"} & {str(v) for v in sequence(r.get("verbs"))} for r in rules):
            continue
        names = {str(name) for r in rules for name in sequence(r.get("resourceNames"))}
        found |= {(namespace, name) for namespace, _ in bound for name in names}
    return found


def csi_provider_classes(wl: Workload) -> list[str]:
    """SecretProviderClass names mounted through the Secrets Store CSI driver."""
    return [str(dig(v, "csi", "volumeAttributes", "secretProviderClass"))
            for v in sequence(wl.pod_spec.get("volumes"))
            if dig(v, "csi", "driver") == "secrets-store.csi.k8s.io"
            and dig(v, "csi", "volumeAttributes", "secretProviderClass")]


def is_vault_provider_class(obj: K8sObject | None) -> bool:
    return obj is not None and obj.group == CSI_GROUP and str(obj.spec.get("provider", "")).lower() == "vault"


_PRODUCERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def producers(index) -> dict[tuple[str, str], Producer]:
    """(namespace, Secret name) -> the object that creates that Secret at runtime."""
    found = _PRODUCERS.get(index)
    if found is not None:
        return found
    found = {}
    for obj in index.objects:
        if obj.group == ESO and obj.kind == "ExternalSecret":
            target = dig(obj.spec, "target", "name") or obj.name
            found[(obj.namespace, str(target))] = Producer(obj, *store_provider(index, obj))
        elif obj.group == VSO and obj.kind in VSO_KINDS:
            target = dig(obj.spec, "destination", "name")
            if target:
                found[(obj.namespace, str(target))] = Producer(obj, True, "Vault Secrets Operator")
        elif obj.group == CSI_GROUP and obj.kind == "SecretProviderClass":
            for synced in sequence(obj.spec.get("secretObjects")):
                if dig(synced, "secretName"):
                    provider = str(obj.spec.get("provider", ""))
                    found[(obj.namespace, str(synced["secretName"]))] = Producer(
                        obj, provider.lower() == "vault", f"the Secrets Store CSI provider {provider}")
        elif obj.kind == "SealedSecret" and obj.group == "bitnami.com":
            target = dig(obj.spec, "template", "metadata", "name") or obj.name
            found[(obj.namespace, str(target))] = Producer(obj, False, "SealedSecret")
        elif obj.kind == "Secret" and obj.group == "" and mapping(obj.data.get("sops")) is not None:
            found[(obj.namespace, obj.name)] = Producer(obj, False, "SOPS")
    _PRODUCERS[index] = found
    return found


def store_provider(index, external_secret):
    ref = mapping(external_secret.spec.get("secretStoreRef")) or {}
    kind = str(ref.get("kind") or "SecretStore")
    name = str(ref.get("name") or "")
    namespace = "" if kind == "ClusterSecretStore" else external_secret.namespace
    store = next((o for o in index.of_kind(kind) if o.name == name and o.namespace == namespace and o.group == ESO),
                 None)
    if store is None:
        return None, f"{kind} {name} (not in the repository)"
    provider = mapping(store.spec.get("provider")) or {}
    names = ", ".join(str(k) for k in provider) or "no provider"
    return "vault" in provider, f"{store.ref} (provider {names})"


def literal_secret(name, value) -> str | None:
    """Why an env or ConfigMap entry holds a secret in plain text, or None."""
    text = value if isinstance(value, str) else None
    if text is None or REFERENCE.match(text.strip()):
        return None
    if KEY_MATERIAL.search(text):
        return "its value looks like key material (a private key, an access key id or a URL with a password)"
    key = str(name)
    if SECRET_NAME.search(key) and not NOT_A_VALUE.search(key) and text.strip().lower() not in PLACEHOLDER_VALUES:
        return f"its name ({key}) says it holds a secret"
    return None


def secret_content(key, text) -> str | None:
    """Why one Secret or ConfigMap entry holds a credential: its name, key material, or a config line."""
    why = literal_secret(key, text)
    if why or not isinstance(text, str) or "\n" not in text:
        return why
    for match in CONFIG_SECRET_LINE.finditer(text):
        name, value = match.group(1), match.group(2).strip()
        url_secret = re.search(r"webhook_url|api_url", name, re.IGNORECASE)
        named = url_secret or not NOT_A_VALUE.search(name)
        if named and value.lower() not in PLACEHOLDER_VALUES and not REFERENCE.match(value):
            return f"its embedded setting {name} holds a value"
    return None


def agent_injection(annotations: YMap) -> bool | None:
    """True when the Vault Agent Injector is switched on, False when explicitly off, None when absent."""
    value = annotations.get(INJECT)
    if value is None:
        return None
    return str(value).lower() == "true"
