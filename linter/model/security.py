"""The effective securityContext of a container (rules.md 0.2), with where each value comes from.

The container's block overrides the pod's field by field, but only for fields that exist at both levels;
container-only fields (allowPrivilegeEscalation, capabilities, privileged, readOnlyRootFilesystem, procMount)
are never satisfied by the pod-level block.
"""
from __future__ import annotations

from typing import NamedTuple

from .objects import dig, mapping
from .workloads import Container, Workload

POD_AND_CONTAINER = frozenset({"runAsUser", "runAsGroup", "runAsNonRoot", "seLinuxOptions", "seccompProfile",
                               "appArmorProfile", "windowsOptions"})


class Setting(NamedTuple):
    """One effective field: its value (None when unset) and the segments of the key that set it."""

    value: object
    path: tuple | None  # segments from the object root, None when unset

    @property
    def is_set(self) -> bool:
        return self.path is not None


def effective(wl: Workload, container: Container, field: str) -> Setting:
    """``field`` of the container's effective securityContext."""
    own = mapping(container.data.get("securityContext"))
    if own is not None and field in own:
        return Setting(own[field], container.path + ("securityContext", field))
    if field in POD_AND_CONTAINER:
        pod = mapping(wl.pod_spec.get("securityContext"))
        if pod is not None and field in pod:
            return Setting(pod[field], wl.pod_spec_path + ("securityContext", field))
    return Setting(None, None)


def context_at(wl: Workload, container: Container):
    """Where a container-level finding points: its ``securityContext`` key, else its ``- name:`` line."""
    if "securityContext" in container.data:
        return wl.at(*container.path, "securityContext")
    return wl.at(*container.path)


def is_windows_container(wl: Workload, container: Container) -> bool:
    """A Windows pod, or a container whose own context carries windowsOptions.runAsUserName."""
    return wl.is_windows or dig(container.data, "securityContext", "windowsOptions", "runAsUserName") is not None
