"""Autoscaler sanity HA004 judges: versions, ranges, triggers, pauses, VPA conflicts, dangling targets."""
from __future__ import annotations

from .objects import mapping, sequence

REMOVED_VERSIONS = {"autoscaling/v2beta1": "1.25", "autoscaling/v2beta2": "1.26"}
EVICTING_VPA_MODES = ("Auto", "Recreate", "InPlaceOrRecreate")
PAUSE_ANNOTATIONS = ("autoscaling.keda.sh/paused", "autoscaling.keda.sh/paused-replicas")


def _range(scaler):
    spec = scaler.spec
    if scaler.kind == "ScaledObject":
        return spec.get("minReplicaCount", 0), spec.get("maxReplicaCount", 100), "maxReplicaCount"
    low = spec.get("minReplicas", 1)
    return low, spec.get("maxReplicas", low), "maxReplicas"


def autoscaler_problems(scaler):
    """(message, location, key path, level) for each defect of one HPA or ScaledObject."""
    found = []
    key = f"{scaler.kind}/{scaler.name}.spec"
    if scaler.api_version in REMOVED_VERSIONS:
        found.append((f"{scaler.ref} uses {scaler.api_version}, removed in Kubernetes "
                      f"{REMOVED_VERSIONS[scaler.api_version]}; use autoscaling/v2.",
                      scaler.at("apiVersion"), f"{scaler.kind}/{scaler.name}.apiVersion", None))
    low, high, field = _range(scaler)
    if isinstance(low, int) and isinstance(high, int) and high <= low:
        found.append((f"{scaler.ref} cannot scale: its maximum ({high}) is not above its minimum ({low}).",
                      scaler.at("spec", field), f"{key}.{field}", None))
    if scaler.kind == "ScaledObject":
        if not sequence(scaler.spec.get("triggers")):
            found.append((f"{scaler.ref} has no triggers, so KEDA never scales the workload.",
                          scaler.at("spec", "triggers"), f"{key}.triggers", None))
        for name in PAUSE_ANNOTATIONS:
            value = scaler.annotations.get(name)
            if value is not None and (name.endswith("replicas") or str(value).lower() == "true"):
                found.append((f"{scaler.ref} is paused by the {name} annotation, so it does not scale.",
                              scaler.at("metadata", "annotations", name), f"{key}.paused", None))
    return found


def vpas_evicting(index, wl):
    """(VPA, mode) for VerticalPodAutoscalers that target the workload and evict pods to resize them."""
    found = []
    for vpa in index.in_namespace(wl.namespace, "VerticalPodAutoscaler"):
        ref = mapping(vpa.spec.get("targetRef")) or {}
        if ref.get("name") != wl.obj.name or ref.get("kind", wl.kind) != wl.kind:
            continue
        policy = mapping(vpa.spec.get("updatePolicy")) or {}
        mode = policy.get("updateMode")
        if mode is None:
            found.append((vpa, ""))  # updateMode defaults to Auto
        elif mode in EVICTING_VPA_MODES:
            found.append((vpa, f"updateMode: {mode}"))
    return found


def dangling_autoscalers(index):
    """(autoscaler, message) for HPAs and ScaledObjects whose scaleTargetRef resolves to no workload."""
    workloads = {(w.namespace, w.kind, w.obj.name) for w in index.workloads_for(long_running=True)}
    referenced = {}
    for rollout in index.of_kind("Rollout"):
        ref = mapping(rollout.spec.get("workloadRef")) or {}
        if ref.get("name"):
            referenced[(rollout.namespace, str(ref.get("kind") or "Deployment"), str(ref["name"]))] = rollout
    found = []
    for scaler in index.of_kind("HorizontalPodAutoscaler", "ScaledObject"):
        if index.is_excluded(scaler):
            continue
        ref = mapping(scaler.spec.get("scaleTargetRef")) or {}
        target = (scaler.namespace, str(ref.get("kind") or "Deployment"), str(ref.get("name")))
        if target in workloads or (target[1] not in ("Deployment", "StatefulSet", "ReplicaSet", "Rollout")
                                   and index.get(*target[1:2], scaler.namespace, target[2]) is not None):
            continue
        if target in referenced:
            why = (f"{scaler.ref} targets {target[1]} {target[0]}/{target[2]}, the template of "
                   f"{referenced[target].ref}; target the Rollout instead.")
        else:
            why = f"{scaler.ref} targets {target[1]} {target[0]}/{target[2]}, which is not in the manifests."
        found.append((scaler, why))
    return found
