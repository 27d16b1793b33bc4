"""Workloads: where each kind keeps its pod template, its containers and its replica count."""
from __future__ import annotations

from dataclasses import dataclass

from ..inputs.yaml_docs import YMap
from .objects import K8sObject, _EMPTY_MAP, dig, mapping, sequence

# kind -> (path to the pod template, long-running)
POD_TEMPLATE_PATHS = {
    "Deployment": (("spec", "template"), True),
    "StatefulSet": (("spec", "template"), True),
    "DaemonSet": (("spec", "template"), True),
    "ReplicaSet": (("spec", "template"), True),
    "Rollout": (("spec", "template"), True),
    "Job": (("spec", "template"), False),
    "CronJob": (("spec", "jobTemplate", "spec", "template"), False),
}
WORKLOAD_GROUPS = {"Deployment": "apps", "StatefulSet": "apps", "DaemonSet": "apps", "ReplicaSet": "apps",
                   "Rollout": "argoproj.io", "Job": "batch", "CronJob": "batch", "Pod": ""}
SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "Rollout")


@dataclass(slots=True)
class Container:
    """A container of a pod template, with the segments that locate it in its object."""

    name: str
    data: YMap
    path: tuple  # segments from the object root to this container's list item
    init: bool
    sidecar: bool  # an init container with restartPolicy: Always (native sidecar)

    @property
    def long_running(self) -> bool:
        return not self.init or self.sidecar

    @property
    def kind_word(self) -> str:
        return "Sidecar container" if self.sidecar else ("Init container" if self.init else "Container")


class Workload:
    """A pod-template owner. ``obj`` is the subject; ``pod_obj`` holds the template (they differ
    only for an Argo Rollout with ``workloadRef``, whose template lives in a Deployment)."""

    __slots__ = ("obj", "pod_obj", "template_path", "long_running", "_containers")

    def __init__(self, obj: K8sObject, pod_obj: K8sObject, template_path: tuple, long_running: bool):
        self.obj = obj
        self.pod_obj = pod_obj
        self.template_path = template_path
        self.long_running = long_running
        self._containers = None

    @property
    def kind(self) -> str:
        return self.obj.kind

    @property
    def namespace(self) -> str:
        return self.obj.namespace

    @property
    def ref(self) -> str:
        return self.obj.ref

    @property
    def template(self) -> YMap:
        return mapping(dig(self.pod_obj.data, *self.template_path)) or _EMPTY_MAP

    @property
    def pod_spec_path(self) -> tuple:
        return self.template_path + ("spec",) if self.template_path else ("spec",)

    @property
    def pod_spec(self) -> YMap:
        return mapping(dig(self.pod_obj.data, *self.pod_spec_path)) or _EMPTY_MAP

    @property
    def template_meta_path(self) -> tuple:
        return self.template_path + ("metadata",) if self.template_path else ("metadata",)

    @property
    def labels(self) -> YMap:
        return mapping(dig(self.pod_obj.data, *self.template_meta_path, "labels")) or _EMPTY_MAP

    @property
    def template_annotations(self) -> YMap:
        return mapping(dig(self.pod_obj.data, *self.template_meta_path, "annotations")) or _EMPTY_MAP

    @property
    def declared_replicas(self):
        """``spec.replicas`` as written (None when omitted or not a number)."""
        value = self.obj.spec.get("replicas")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def is_windows(self) -> bool:
        spec = self.pod_spec
        return dig(spec, "os", "name") == "windows" or dig(spec, "securityContext", "windowsOptions") is not None

    def containers(self) -> list[Container]:
        if self._containers is None:
            spec = self.pod_spec
            found = []
            for field, init in (("initContainers", True), ("containers", False)):
                for i, item in enumerate(sequence(spec.get(field))):
                    if not isinstance(item, YMap):
                        continue
                    name = str(item.get("name", i))
                    segment = ("name", item["name"]) if "name" in item else i
                    sidecar = init and item.get("restartPolicy") == "Always"
                    found.append(Container(name, item, self.pod_spec_path + (field, segment), init, sidecar))
            self._containers = found
        return self._containers

    def at(self, *segments):
        """A location inside the pod-template object (the Deployment behind a workloadRef)."""
        return self.pod_obj.at(*segments)

    def subject(self):
        extra = (self.template_meta_path + ("annotations",),) if self.template_path and self.pod_obj is self.obj else ()
        waivers = self.obj.waivers(*extra)
        if self.pod_obj is not self.obj:
            waivers += self.pod_obj.waivers(self.template_meta_path + ("annotations",))
        return self.obj.subject(waivers)
