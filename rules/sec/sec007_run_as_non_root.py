"""Non-root container execution enforced.

## What it does
Checks that each container's effective securityContext (container over pod, rules.md 0.2) either sets
`runAsNonRoot: true` without `runAsUser: 0`, or an explicit `runAsUser` of 1 or more. A pod-level
`runAsNonRoot: true` overridden by a container `runAsUser: 0` fails. With `min_uid` set (strict mode: 10001)
the UID and the `runAsGroup` must both be at least that value. Windows pods are not judged. The claim
`platform.openshift_scc: true` passes containers that set no UID, since the SCC assigns one. A Kyverno
`ClusterPolicy` or `Policy` whose `mutate.patchStrategicMerge` rule selects the pods and sets `runAsNonRoot`,
`runAsUser` (or `runAsGroup`) so that the container passes turns the finding into a `note` naming the rule: the
cluster fixes the pod, but the manifest still lacks the field, so it never passes.

## Why it matters
A process running as root inside the container is root on the node as soon as it escapes the container
runtime, and can rewrite anything the image or its volumes hold.

## How to fix
Build the image with a numeric non-root `USER` and set `securityContext: {runAsNonRoot: true, runAsUser: 10001,
runAsGroup: 10001}` on the pod. An init container that truly needs root is waived with
`ignore.readylint.dev/SEC007: "<reason>"`.

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
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
```

## Options
* `min_uid`: smallest accepted `runAsUser` and `runAsGroup` (0 = off; strict mode uses 10001).
* `admission_downgrade`: whether a Kyverno mutate policy that fixes the container at admission turns its finding
  into a note.
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.objects import key_path
from readylint.model.security import Setting, effective, is_windows_container
from readylint.registry import rule

CLAIM = "claim: platform.openshift_scc assigns a non-root UID"


def _uid(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def defect(wl, c, min_uid, scc, lookup=effective):
    """(message tail, setting that locates it) for a container that may run as root, else None.

    Returns "claim" when only the OpenShift SCC claim makes it pass. ``lookup`` reads the effective fields
    (the manifest's, or the manifest's after admission mutation).
    """
    non_root, user, group = (lookup(wl, c, f) for f in ("runAsNonRoot", "runAsUser", "runAsGroup"))
    uid = _uid(user.value)
    if uid == 0:
        why = " although runAsNonRoot: true is set" if non_root.value is True else ""
        return f"sets runAsUser: 0{why}, so it runs as root; use a UID of 1 or more", user
    if uid is None and non_root.value is not True:
        if scc:
            return "claim"
        said = "sets runAsNonRoot: false" if non_root.is_set else "sets neither runAsNonRoot: true nor runAsUser"
        return f"{said}, so it may run as root; set runAsNonRoot: true and a numeric runAsUser", non_root
    if min_uid:
        if uid is None or uid < min_uid:
            return f"sets runAsUser {uid if uid is not None else 'to nothing'}, below min_uid {min_uid}; " \
                   f"set runAsUser to {min_uid} or more", user if user.is_set else non_root
        gid = _uid(group.value)
        if gid is None or gid < min_uid:
            return f"sets runAsGroup {gid if gid is not None else 'to nothing'}, below min_uid {min_uid}; " \
                   f"set runAsGroup to {min_uid} or more", group if group.is_set else user
    return None


def admission_fix(index, wl, c, min_uid, scc):
    """(field, Kyverno mutation) pairs that make the container pass at admission, else an empty list."""
    from readylint.model.admission_mutation import admitted  # only repositories with Kyverno policies pay for it
    found = {f: admitted(index, wl, c, f) for f in ("runAsNonRoot", "runAsUser", "runAsGroup")}

    def after(wl, c, field):
        m = found[field]
        return effective(wl, c, field) if m is None else Setting(m.value, m.segments)

    used = [(f, m) for f, m in found.items() if m is not None]
    return used if used and defect(wl, c, min_uid, scc, after) in (None, "claim") else []


@rule(code="SEC007", slug="run-as-non-root", scope="workload", severity="error", confidence="high",
      evidence="M, R", options={"min_uid": 0, "admission_downgrade": True})
def check(index, opts):
    scc = (index.settings.get("platform") or {}).get("openshift_scc") is True
    mutations = opts["admission_downgrade"] and bool(index.of_kind("ClusterPolicy", "Policy"))
    for wl in index.workloads_for(long_running=None):
        subject = wl.subject()
        containers = [c for c in wl.containers() if not is_windows_container(wl, c)]
        if not containers and wl.containers():
            yield subject.not_applicable(NOT_RELEVANT, "Windows containers: run-as fields are Linux-only")
            continue
        results = [(c, defect(wl, c, opts["min_uid"], scc)) for c in containers]
        failures = [(c, d) for c, d in results if d not in (None, "claim")]
        for c, (tail, setting) in failures:
            at = wl.at(*setting.path) if setting.is_set else wl.at(*c.path)
            field = setting.path[-1] if setting.is_set else "runAsNonRoot"
            fixes = admission_fix(index, wl, c, opts["min_uid"], scc) if mutations else []
            extra, related = "", ()
            if fixes:
                rules, fields = sorted({m.what for _, m in fixes}), [f for f, _ in fixes]
                listed = ", ".join(fields[:-1]) + " and " + fields[-1] if len(fields) > 1 else fields[0]
                extra = f" {' and '.join(rules)} set{'s' if len(rules) == 1 else ''} {listed} at admission."
                related = tuple(Related(m.at(), f"{m.what} sets {f} at admission") for f, m in fixes)
            yield subject.fail(f"{c.kind_word} '{c.name}' of {wl.ref} {tail}.{extra}", at=at,
                               key_path=key_path(*c.path, "securityContext", field),
                               level="note" if fixes else None, related=related)
        if not failures:
            yield subject.passed(CLAIM if any(d == "claim" for _, d in results) else "")
