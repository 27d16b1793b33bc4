"""RepoIndex: the read-only model built once per run, answering the cross-object questions rules ask."""
from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from .netpol import policies_selecting
from .objects import K8sObject, dig, mapping
from .repository import RepositoryFiles
from .selectors import label_selector_matches, service_selector_matches
from .workloads import POD_TEMPLATE_PATHS, WORKLOAD_GROUPS, Workload

DEFAULT_EXCLUDED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


class RepoIndex:
    """Objects by kind and namespace, workloads, and selector lookups that stay cheap at scale.

    ``objects`` holds production manifest objects only; rules judge those. ``context`` holds every
    object read (non-production inputs included) for cross-references.
    """

    def __init__(self, objects: list[K8sObject], root: str, files=(), settings=None):
        self.root = root
        self.files = list(files)  # repo-relative paths of every file read
        self.all_objects = objects
        self.objects = [o for o in objects if o.production]
        self.settings = settings or {}
        self._by_kind: dict[str, list[K8sObject]] = defaultdict(list)
        self._by_ns_kind: dict[tuple[str, str], list[K8sObject]] = defaultdict(list)
        for obj in self.objects:
            self._by_kind[obj.kind].append(obj)
            self._by_ns_kind[(obj.namespace, obj.kind)].append(obj)
        excluded = self.settings.get("exclude_namespaces", ())
        self.excluded_namespaces = frozenset(DEFAULT_EXCLUDED_NAMESPACES) | frozenset(excluded)
        self.exclude_helm_hooks = self.settings.get("exclude_helm_hooks", True)
        self.repo = RepositoryFiles(root, self.files, self.settings.get("max_file_bytes", 64 * 1024 * 1024),
                                    self.settings.get("project_base", ""))
        self.documents: dict[str, list] = {}  # non-Kubernetes YAML documents by path (workflows, configs)
        self._selected: dict[tuple, object] = {}  # (question, namespace, labels...) -> answer: rules ask per workload

    # -- plain lookups -----------------------------------------------------------------------------------

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        if len(kinds) == 1:
            return self._by_kind.get(kinds[0], [])
        return [o for kind in kinds for o in self._by_kind.get(kind, ())]

    def in_namespace(self, namespace: str, *kinds: str) -> list[K8sObject]:
        return [o for kind in kinds for o in self._by_ns_kind.get((namespace, kind), ())]

    def get(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        for obj in self._by_ns_kind.get((namespace, kind), ()):
            if obj.name == name:
                return obj
        return None

    def is_excluded(self, obj: K8sObject) -> bool:
        """Global exclusions of rules.md 0.3 that apply to every workload-scoped rule."""
        return obj.namespace in self.excluded_namespaces

    @cached_property
    def github_settings(self):
        """The GitHub settings snapshot or why it is unavailable (model/github_settings.py), read on first use."""
        from .github_snapshot import load_snapshot

        return load_snapshot(self)

    # -- workloads ---------------------------------------------------------------------------------------

    @cached_property
    def workloads(self) -> list[Workload]:
        """Every pod-template owner, except Deployments that a Rollout's workloadRef evaluates."""
        referenced = set()
        found = []
        for obj in self.objects:
            kind = obj.kind
            if kind not in WORKLOAD_GROUPS or obj.group != WORKLOAD_GROUPS[kind]:
                continue
            if kind == "Pod":
                found.append(Workload(obj, obj, (), False))
                continue
            path, long_running = POD_TEMPLATE_PATHS[kind]
            pod_obj = obj
            if kind == "Rollout":
                ref = mapping(obj.spec.get("workloadRef"))
                if ref is not None and ref.get("name"):
                    target = self._workload_ref_target(obj, str(ref.get("kind") or "Deployment"), str(ref["name"]))
                    if target is not None:
                        referenced.add(id(target))
                        pod_obj = target
                    else:
                        pod_obj = obj  # template unavailable; rules see an empty pod spec
            found.append(Workload(obj, pod_obj, path, long_running))
        return [w for w in found if id(w.obj) not in referenced]

    def _workload_ref_target(self, rollout: K8sObject, kind: str, name: str) -> K8sObject | None:
        """The Deployment a workloadRef names, preferring the Rollout's own file and environment."""
        candidates = [o for o in self._by_ns_kind.get((rollout.namespace, kind), ()) if o.name == name]
        candidates.sort(key=lambda o: (o.path != rollout.path, o.environment != rollout.environment))
        return candidates[0] if candidates else None

    def workloads_for(self, *, long_running=None, skip_kinds=(), skip_hooks=True):
        """Workloads a rule judges: namespace exclusions and (optionally) Helm hooks removed."""
        for wl in self.workloads:
            if self.is_excluded(wl.obj):
                continue
            if skip_hooks and self.exclude_helm_hooks and (wl.obj.is_helm_hook or wl.pod_obj.is_helm_hook):
                continue
            if long_running is not None and wl.long_running != long_running:
                continue
            if wl.kind in skip_kinds:
                continue
            yield wl

    # -- selector questions ------------------------------------------------------------------------------

    def _memo(self, question, wl: Workload, answer) -> list:
        """The answer depends only on the namespace and pod labels: ask once per distinct pair (a copy is returned)."""
        key = (question, wl.namespace, _labels_key(wl.labels))
        found = self._selected.get(key)
        if found is None:
            found = self._selected[key] = answer()
        return list(found)

    def selecting(self, wl: Workload, kinds, selector_path) -> list[K8sObject]:
        """Objects of ``kinds`` in the workload's namespace whose label selector picks its pods."""
        labels = wl.labels
        return self._memo((tuple(kinds), tuple(selector_path)), wl, lambda: [
            o for o in self.in_namespace(wl.namespace, *kinds)
            if label_selector_matches(dig(o.data, *selector_path), labels)])

    def services_selecting(self, wl: Workload) -> list[K8sObject]:
        labels = wl.labels
        return self._memo("services", wl, lambda: [s for s in self.in_namespace(wl.namespace, "Service")
                                                   if service_selector_matches(s.spec.get("selector"), labels)])

    def pdbs_selecting(self, wl: Workload) -> list[K8sObject]:
        return self.selecting(wl, ("PodDisruptionBudget",), ("spec", "selector"))

    def network_policies_selecting(self, wl: Workload) -> list:
        """Kubernetes, Cilium and cluster-wide Cilium policies that select the pods (model/netpol.py)."""
        return self._memo("netpol", wl, lambda: policies_selecting(self, wl.namespace, wl.labels))

    def is_serving(self, wl: Workload) -> bool:
        """Long-running and selected by a Service that carries traffic: a Service whose every port is named
        for metrics (`metrics`, `http-metrics`, `prometheus`) only lets Prometheus scrape the pods."""
        if not wl.long_running:
            return False
        key = ("serving", wl.namespace, _labels_key(wl.labels))  # six rules ask it of every workload
        if key not in self._selected:
            self._selected[key] = any(not _metrics_only(s) for s in self.services_selecting(wl))
        return self._selected[key]

    # -- autoscaling -------------------------------------------------------------------------------------

    def _targets(self, obj: K8sObject, wl: Workload) -> bool:
        ref = mapping(obj.spec.get("scaleTargetRef"))
        if ref is None or str(ref.get("name")) != wl.obj.name:
            return False
        kind = ref.get("kind") or "Deployment"
        if kind != wl.kind:
            return False
        api_version = ref.get("apiVersion")
        return api_version is None or str(api_version).rpartition("/")[0] == wl.obj.group or (
            "/" not in str(api_version) and wl.obj.group == "")

    def autoscalers_targeting(self, wl: Workload) -> list[K8sObject]:
        """HorizontalPodAutoscalers and KEDA ScaledObjects whose scaleTargetRef is the workload (asked once per
        namespace, kind and name: a scaleTargetRef names nothing else)."""
        key = ("autoscalers", wl.namespace, wl.kind, wl.obj.group, wl.obj.name)
        if key not in self._selected:
            self._selected[key] = [o for o in self.in_namespace(wl.namespace, "HorizontalPodAutoscaler", "ScaledObject")
                                   if self._targets(o, wl)]
        return list(self._selected[key])

    def effective_replicas(self, wl: Workload):
        """(minimum, maximum, the object that decides it) as rules.md 0.2 defines them."""
        scalers = self.autoscalers_targeting(wl)
        hpas = [o for o in scalers if o.kind == "HorizontalPodAutoscaler"]
        keda = [o for o in scalers if o.kind == "ScaledObject"]
        if hpas:
            hpa = hpas[0]
            low = _int(hpa.spec.get("minReplicas"), 1)
            return low, _int(hpa.spec.get("maxReplicas"), low), hpa
        if keda:
            scaled = keda[0]
            low = _int(scaled.spec.get("minReplicaCount"), 0)
            return low, _int(scaled.spec.get("maxReplicaCount"), 100), scaled
        replicas = wl.declared_replicas
        count = 1 if replicas is None else replicas
        return count, count, None


_METRICS_PORT_WORDS = ("metrics", "prometheus", "prom-")


def _metrics_only(service: K8sObject) -> bool:
    ports = [p for p in (service.spec.get("ports") or ()) if isinstance(p, dict)]
    return bool(ports) and all(any(word in str(p.get("name", "")).lower() for word in _METRICS_PORT_WORDS)
                               for p in ports)


def _labels_key(labels) -> tuple:
    """Hashable form of a label mapping (values that are not scalars, in broken input, by their repr)."""
    return tuple(sorted((str(k), v if isinstance(v, (str, int, float, bool, type(None))) else repr(v))
                        for k, v in labels.items()))


def _int(value, default):
    return value if isinstance(value, int) and not isinstance(value, bool) else default
