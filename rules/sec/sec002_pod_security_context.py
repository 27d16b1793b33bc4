"""Pod security contexts configured.

## What it does
Checks every container, init container and native sidecar against the Pod Security Standards *restricted*
profile, except the run-as fields that SEC007 owns: `allowPrivilegeEscalation: false`, `capabilities.drop`
containing `ALL` with nothing but `NET_BIND_SERVICE` added, a `RuntimeDefault` or `Localhost` seccomp profile
(container or pod level), no `privileged`, no `hostPort`, and `readOnlyRootFilesystem: true` (a `warning`).
The pod must not use `hostNetwork`, `hostPID`, `hostIPC` or `hostPath` volumes. The Linux-only container fields
do not apply to Windows pods. A Kyverno `ClusterPolicy` or `Policy` whose `mutate.patchStrategicMerge` rule
selects the pods and sets `allowPrivilegeEscalation`, `capabilities.drop`, `seccompProfile.type` or
`readOnlyRootFilesystem` to a compliant value turns that finding into a `note` naming the rule: the cluster fixes
the pod, but the manifest still lacks the field, so it never passes.

## Why it matters
A container that can gain privileges, keeps its default capabilities or shares the node's namespaces turns
any code-execution bug into a node compromise. A read-only root filesystem stops tampering with the image.

## How to fix
Give each container `securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
capabilities: {drop: [ALL]}}` and the pod `securityContext: {seccompProfile: {type: RuntimeDefault}}`; mount an
`emptyDir` where the process must write. An init container that must `chown` a volume is waived with
`ignore.readylint.dev/SEC002: "<reason>"`, never by loosening the rule.

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
          image: registry.example.com/api:1.4.2
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      securityContext:
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
```

## Options
* `admission_downgrade`: whether a Kyverno mutate policy that sets a field at admission turns its finding into a note.
"""
from readylint.findings import Related
from readylint.model.objects import dig, key_path, mapping, sequence
from readylint.model.security import context_at, effective
from readylint.registry import rule

# field checked by container_defects -> (field below securityContext that a mutation may set, compliant value)
MUTABLE = {"allowPrivilegeEscalation": ("allowPrivilegeEscalation", lambda v: v is False),
           "capabilities.drop": ("capabilities.drop", lambda v: "ALL" in [str(x) for x in sequence(v)]),
           "seccompProfile": ("seccompProfile.type", lambda v: v in ("RuntimeDefault", "Localhost")),
           "readOnlyRootFilesystem": ("readOnlyRootFilesystem", lambda v: v is True)}
HOST_FIELDS = {"hostNetwork": "the node's network", "hostPID": "the node's process namespace",
               "hostIPC": "the node's IPC namespace"}


def container_defects(wl, c):
    """(field, defect, fix, level) for each restricted-profile field the container violates."""
    ctx = mapping(c.data.get("securityContext")) or {}
    caps = mapping(ctx.get("capabilities")) or {}
    if ctx.get("allowPrivilegeEscalation") is not False:
        yield ("allowPrivilegeEscalation", "does not set allowPrivilegeEscalation: false",
               "set it in its securityContext", None)
    if "ALL" not in [str(x) for x in sequence(caps.get("drop"))]:
        yield ("capabilities.drop", "does not drop ALL capabilities",
               "add capabilities.drop: [ALL] to its securityContext", None)
    added = sorted({str(x) for x in sequence(caps.get("add"))} - {"NET_BIND_SERVICE"})
    if added:
        yield "capabilities.add", f"adds capabilities {', '.join(added)}", "add nothing but NET_BIND_SERVICE", None
    seccomp = effective(wl, c, "seccompProfile")
    if dig(seccomp.value, "type") not in ("RuntimeDefault", "Localhost"):
        what = "sets no seccomp profile" if not seccomp.is_set else "uses a seccomp profile other than " \
            "RuntimeDefault or Localhost"
        yield "seccompProfile", what, "set seccompProfile.type: RuntimeDefault on the pod or the container", None
    if ctx.get("privileged") is True:
        yield "privileged", "runs privileged", "remove privileged: true", None
    if ctx.get("readOnlyRootFilesystem") is not True:
        yield ("readOnlyRootFilesystem", "does not set readOnlyRootFilesystem: true",
               "set it and mount an emptyDir where the process writes", "warning")


def admission_fix(index, wl, c, field):
    """The Kyverno mutation that sets ``field`` to a compliant value at admission, if any."""
    from readylint.model.admission_mutation import admitted  # only repositories with Kyverno policies pay for it
    target, compliant = MUTABLE[field]
    found = admitted(index, wl, c, target)
    return found if found is not None and compliant(found.value) else None


@rule(code="SEC002", slug="pod-security-context", scope="workload", severity="error", confidence="high",
      evidence="M", options={"admission_downgrade": True})
def check(index, opts):
    mutations = opts["admission_downgrade"] and bool(index.of_kind("ClusterPolicy", "Policy"))
    for wl in index.workloads_for(long_running=None):
        subject, drafts, spec = wl.subject(), [], wl.pod_spec
        for field, what in HOST_FIELDS.items():
            if spec.get(field) is True:
                drafts.append(subject.fail(f"{wl.ref} sets {field}: true, sharing {what}; remove it.",
                                           at=wl.at(*wl.pod_spec_path, field),
                                           key_path=key_path(*wl.pod_spec_path, field)))
        for volume in sequence(spec.get("volumes")):
            if mapping(volume) is not None and "hostPath" in volume:
                segments = wl.pod_spec_path + ("volumes", ("name", volume.get("name")))
                drafts.append(subject.fail(
                    f"{wl.ref} mounts hostPath volume '{volume.get('name')}', exposing the node's filesystem; "
                    f"use an emptyDir, a ConfigMap or a PersistentVolumeClaim.",
                    at=wl.at(*segments), key_path=key_path(*segments)))
        for c in wl.containers():
            for i, port in enumerate(sequence(c.data.get("ports"))):
                if isinstance(dig(port, "hostPort"), int) and port["hostPort"] and spec.get("hostNetwork") is not True:
                    drafts.append(subject.fail(
                        f"{c.kind_word} '{c.name}' of {wl.ref} binds hostPort {port['hostPort']}; expose it "
                        f"through a Service instead.", at=wl.at(*c.path, "ports", i, "hostPort"),
                        key_path=key_path(*c.path, "ports", ("hostPort", port["hostPort"]))))  # one print per port
            if wl.is_windows:
                continue
            for field, defect, fix, level in container_defects(wl, c):
                fixed = admission_fix(index, wl, c, field) if mutations and field in MUTABLE else None
                extra, related = "", ()
                if fixed is not None:
                    extra, level = f" {fixed.what} sets it at admission.", "note"
                    related = (Related(fixed.at(), f"{fixed.what} sets {MUTABLE[field][0]} at admission"),)
                drafts.append(subject.fail(
                    f"{c.kind_word} '{c.name}' of {wl.ref} {defect}; {fix}.{extra}", at=context_at(wl, c),
                    key_path=key_path(*c.path, "securityContext", field), level=level, related=related))
        if drafts:
            yield from drafts
        elif wl.is_windows:
            yield subject.not_applicable("not-relevant", "Windows pod: Linux security fields do not apply")
        else:
            yield subject.passed()
