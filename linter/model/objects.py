"""Kubernetes objects read from YAML documents, and how to point at any of their keys."""
from __future__ import annotations

from ..findings import Location, Subject
from ..inputs.yaml_docs import YMap, YSeq

# Kinds without a namespace; everything else lives in one (rules.md 0.2).
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "APIService", "CertificateSigningRequest", "ClusterIssuer",
    "ClusterSecretStore", "GlobalNetworkPolicy", "CiliumClusterwideNetworkPolicy", "ClusterPolicy",
    "ClusterAnalysisTemplate", "ClusterServingRuntime", "PodSecurityPolicy", "GatewayClass",
    "ConstraintTemplate", "ClusterRoleTemplate", "ClusterPolicyReport", "ClusterCleanupPolicy",
    "ClusterAuthorizationPolicy", "ClusterTriggerBinding", "ClusterInterceptor", "ClusterTask",
})
# API groups whose every kind is cluster-scoped (Gatekeeper constraints are one kind per template).
CLUSTER_SCOPED_GROUPS = frozenset({"constraints.gatekeeper.sh", "mutations.gatekeeper.sh"})

IGNORE_ANNOTATION = "ignore.readylint.dev/"


def mapping(value) -> YMap | None:
    """``value`` when it is a mapping, else None: rules never trust shapes in user YAML."""
    return value if isinstance(value, YMap) else None


def sequence(value) -> YSeq:
    return value if isinstance(value, YSeq) else _EMPTY_SEQ


_EMPTY_SEQ = YSeq()
_EMPTY_SEQ.line, _EMPTY_SEQ.col, _EMPTY_SEQ.ipos = 1, 1, []
_EMPTY_MAP = YMap()
_EMPTY_MAP.line, _EMPTY_MAP.col, _EMPTY_MAP.kpos = 1, 1, {}


def dig(value, *keys):
    """Follow mapping keys; None as soon as one is missing or a value is not a mapping."""
    for key in keys:
        if not isinstance(value, YMap):
            return None
        value = value.get(key)
    return value


class K8sObject:
    """One Kubernetes object: its data, file position, input settings and identity."""

    __slots__ = ("path", "doc_index", "data", "api_version", "kind", "group", "name", "namespace",
                 "namespace_defaulted", "source", "environment", "production", "doc_line")

    def __init__(self, path, doc_index, data: YMap, source=None, environment="", production=True,
                 input_namespace=None, doc_line=1):
        self.path = path
        self.doc_index = doc_index
        self.data = data
        self.doc_line = doc_line
        api_version = data.get("apiVersion")
        self.api_version = api_version if isinstance(api_version, str) else str(api_version)
        self.kind = str(data.get("kind"))
        self.group = self.api_version.rpartition("/")[0] if "/" in self.api_version else ""
        meta = mapping(data.get("metadata")) or _EMPTY_MAP
        self.name = str(meta.get("name") or meta.get("generateName") or "")
        self.source = source
        self.environment = environment or ""
        self.production = production
        self.namespace_defaulted = False
        if self.kind in CLUSTER_SCOPED or self.group in CLUSTER_SCOPED_GROUPS:
            self.namespace = ""
        elif isinstance(meta.get("namespace"), str) and meta.get("namespace"):
            self.namespace = meta["namespace"]
        elif input_namespace:
            self.namespace = input_namespace
        else:
            self.namespace = "default"
            self.namespace_defaulted = True

    # -- identity ---------------------------------------------------------------------------------------

    @property
    def ref(self) -> str:
        """How messages name the object: ``Deployment shop/api``."""
        if not self.namespace:
            return f"{self.kind} {self.name}"
        if self.namespace_defaulted:  # rules.md 0.2: say that the namespace was assumed
            return f"{self.kind} {self.name} (namespace unset)"
        return f"{self.kind} {self.namespace}/{self.name}"

    @staticmethod
    def listed(objects, limit: int = 5) -> str:
        """Several objects named in one message, by ``ref``; when none sets a namespace, that is said once."""
        unset = bool(objects) and all(o.namespace_defaulted for o in objects)
        refs = list(dict.fromkeys(f"{o.kind} {o.name}" if unset else o.ref for o in objects))
        text = ", ".join(refs[:limit]) + (f" and {len(refs) - limit} more" if len(refs) > limit else "")
        return text + ("; none sets a namespace" if unset else "")

    @property
    def metadata(self) -> YMap:
        return mapping(self.data.get("metadata")) or _EMPTY_MAP

    @property
    def labels(self) -> YMap:
        return mapping(self.metadata.get("labels")) or _EMPTY_MAP

    @property
    def annotations(self) -> YMap:
        return mapping(self.metadata.get("annotations")) or _EMPTY_MAP

    @property
    def spec(self) -> YMap:
        return mapping(self.data.get("spec")) or _EMPTY_MAP

    @property
    def is_helm_hook(self) -> bool:
        return "helm.sh/hook" in self.annotations

    def subject(self, waivers=()) -> Subject:
        key = f"k8s:{self.group}/{self.kind}/{self.namespace}/{self.name}"
        fqn = f"{self.namespace}/{self.api_version}/{self.kind}/{self.name}"
        return Subject(key=key, display=self.ref, fqn=fqn, environment=self.environment,
                       waivers=tuple(waivers) or self.waivers(), location=self.name_at())

    def waivers(self, *extra_annotation_paths):
        """Annotation waivers ``ignore.readylint.dev/<CODE>: reason`` on this object (rules.md 0.6)."""
        found = []
        for segments in (("metadata", "annotations"),) + extra_annotation_paths:
            annotations = mapping(dig(self.data, *segments))
            if not annotations:
                continue
            for key, reason in annotations.items():
                if isinstance(key, str) and key.startswith(IGNORE_ANNOTATION):
                    at = self.at(*segments, key)
                    found.append((key[len(IGNORE_ANNOTATION):], reason, at))
        return tuple(found)

    # -- positions --------------------------------------------------------------------------------------

    def at(self, *segments) -> Location:
        """The deepest existing key along ``segments`` (keys, list indexes or ("name", value) pairs).

        Absence points at the nearest existing parent; nothing at all points at ``metadata.name``.
        A list item is located at its ``- name:`` key when it has one.
        """
        node = self.data
        found = None
        for segment in segments:
            if isinstance(node, YMap) and not isinstance(segment, (int, tuple)):
                pos = node.kpos.get(segment)
                if pos is None:
                    break
                found = pos
                node = node[segment]
            elif isinstance(node, YSeq):
                index = _list_index(node, segment)
                if index is None:
                    break
                item_line, item_col = node.ipos[index]
                node = node[index]
                name_pos = node.kpos.get("name") if isinstance(node, YMap) else None
                found = name_pos or (item_line, item_col, None)
            else:
                break
        if found is None:
            found = self.metadata.kpos.get("name") if self.metadata is not _EMPTY_MAP else None
        if found is None:
            found = self.data.kpos.get("kind") or (self.doc_line, 1, None)
        line, col, end_col = found
        return Location(self.path, line, col, end_col)

    def name_at(self) -> Location:
        return self.at("metadata", "name")


def _list_index(seq: YSeq, segment):
    if isinstance(segment, int):
        return segment if 0 <= segment < len(seq) else None
    if isinstance(segment, tuple):
        key, value = segment
        for i, item in enumerate(seq):
            if isinstance(item, YMap) and item.get(key) == value:
                return i
    return None


def key_path(*segments) -> str:
    """``spec.template.spec.containers[name=api].resources``: the fingerprint's key path."""
    out = ""
    for segment in segments:
        if isinstance(segment, tuple):
            out += f"[{segment[0]}={segment[1]}]"
        elif isinstance(segment, int):
            out += f"[{segment}]"
        else:
            out += ("." if out else "") + str(segment)
    return out
