"""Security policies enforced.

## What it does
Checks every namespace that runs workloads for admission control that would reject a non-compliant pod: the
Namespace label `pod-security.kubernetes.io/enforce` at `psa_min_level` or stricter (on the rendered Namespace,
or in `syncPolicy.managedNamespaceMetadata.labels` of the Argo CD Application that creates it), or a policy in
enforcing mode whose match covers the namespace and pod kinds: Kyverno `ClusterPolicy`/`Policy` with
`failureAction: Enforce` (or the older `validationFailureAction`), Kyverno `ValidatingPolicy` or a
`ValidatingAdmissionPolicyBinding` with `Deny` among its `validationActions`, Gatekeeper constraints with
`enforcementAction: deny` (the default) or a scoped deny at `validation.gatekeeper.sh`. `warn`/`audit` labels,
`enforce: privileged`, Kyverno Audit and Gatekeeper `dryrun`/`warn` are reported. When the namespace runs a
workload that needs host access (host network, PID or IPC, a hostPath volume, a privileged container), the advice
is to move such node agents to a namespace of their own or to exempt them in a policy, since `baseline` would
stop them from starting. A namespace that is neither
rendered nor created by an Application, and that no policy covers, is unknown. SEC002 judges the manifests
themselves; a label never makes them compliant.

## Why it matters
Without enforcement, nothing stops the next change (or an attacker with deploy rights) from running a privileged
pod: reviews and linters only see what goes through them.

## How to fix
Label the namespace `pod-security.kubernetes.io/enforce: baseline` (or `restricted`) with `enforce-version`, or
add an enforcing Kyverno/Gatekeeper policy. When the cluster enforces a default level, declare it with
`platform.psa_default`.

## Example
```yaml fail
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/warn: restricted
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
```
```yaml pass
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
```
"""
from readylint.findings import EVIDENCE_UNAVAILABLE, Related, Subject
from readylint.model.admission import PSA_LEVELS, created_by_application, namespace_controls
from readylint.model.objects import key_path
from readylint.registry import rule


def _subject(index, namespace, first_workload):
    ns = next((o for o in index.of_kind("Namespace") if o.name == namespace and o.group == ""), None)
    if ns is not None:
        return ns, ns.subject()
    return None, Subject(key=f"k8s:/Namespace//{namespace}", display=f"Namespace {namespace}",
                         fqn=f"/v1/Namespace/{namespace}", environment=first_workload.obj.environment,
                         location=first_workload.obj.name_at())


@rule(code="COMP005", slug="security-policies-enforced", scope="namespace", severity="error", confidence="high",
      evidence="M,A", options={"psa_min_level": "baseline"})
def check(index, opts):
    minimum = opts["psa_min_level"] if opts["psa_min_level"] in PSA_LEVELS else "baseline"
    claim = str((index.settings.get("platform") or {}).get("psa_default") or "")
    namespaces = {}
    for wl in index.workloads_for(long_running=None):
        namespaces.setdefault(wl.namespace, wl)
    for namespace, first in sorted(namespaces.items()):
        ns, subject = _subject(index, namespace, first)
        if PSA_LEVELS.get(claim, -1) >= PSA_LEVELS[minimum]:
            yield subject.passed(f"claim: platform.psa_default is {claim}")
            continue
        controls = namespace_controls(index, namespace, minimum)
        enforcing = [c for c in controls if c.enforcing]
        if enforcing:
            yield subject.passed("; ".join(c.what for c in enforcing))
            continue
        related = [Related(first.obj.name_at(), f"{first.ref} runs in namespace {namespace}.")]
        host = _needs_host_access(index, namespace)
        for control in controls:
            defect = control.defect if host is None else control.defect.split("; ")[0] + (
                f"; {host} needs host access, which {minimum} rejects: move the node agents to a namespace of their "
                f"own, or enforce {minimum} with a Kyverno or Gatekeeper policy that exempts them")
            yield subject.fail(f"Namespace {namespace} is not protected by admission control: {defect}.",
                               at=control.at(), key_path=f"{control.obj.kind}/{control.obj.name}."
                               f"{key_path(*control.segments)}", related=related)
        if controls:
            continue
        if ns is not None:
            at = ns.at("metadata", "labels") if "labels" in ns.metadata else ns.name_at()
            advice = (f"add pod-security.kubernetes.io/enforce: {minimum}." if host is None else
                      f"{host} needs host access, which {minimum} rejects: move the node agents to a namespace of "
                      f"their own, or enforce {minimum} with a Kyverno or Gatekeeper policy that exempts them.")
            yield subject.fail(f"{ns.ref} sets no pod-security.kubernetes.io/enforce label and no enforcing admission "
                               f"policy covers it, so any pod is admitted; {advice}", at=at,
                               key_path="metadata.labels", related=related)
        elif not any(created_by_application(index, namespace)):
            yield subject.not_applicable(EVIDENCE_UNAVAILABLE, f"namespace {namespace} is created outside the "
                                                               f"repository and no policy in it covers the namespace")


HOST_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def _needs_host_access(index, namespace: str) -> str | None:
    """The first workload of the namespace that the baseline level would reject for host access, if any
    (node agents such as node-exporter): enforcing baseline on its namespace would stop it from starting."""
    for wl in index.workloads_for(long_running=None):
        if wl.namespace != namespace:
            continue
        spec = wl.pod_spec or {}
        volumes = spec.get("volumes") or []
        if any(spec.get(field) is True for field in HOST_FIELDS) or any(
                isinstance(v, dict) and "hostPath" in v for v in volumes) or any(
                (c.data.get("securityContext") or {}).get("privileged") is True for c in wl.containers()):
            return wl.ref
    return None
