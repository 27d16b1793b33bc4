"""Network policies implemented for all components.

## What it does
Checks that every workload's pods are selected by a NetworkPolicy (or a Cilium policy) of their namespace and
are isolated in both directions: effective `policyTypes` are the listed ones, else Ingress plus Egress when an
`egress` list exists. An allow-all rule (`ingress: [{}]`, `egress: [{}]`, a peer `namespaceSelector: {}` or
`0.0.0.0/0` without ports) leaves its direction open. Egress is judged only while `require_egress_isolation` is
true. Pods on the host network are not judged. A policy whose selector matches no rendered pod gets a `note`.

## Why it matters
Without isolation every pod can reach every other pod and the internet, so one compromised component can
scan the cluster and exfiltrate data.

## How to fix
Add a namespace default-deny (`podSelector: {}`, `policyTypes: [Ingress, Egress]`, no rules) and per-component
policies that allow only the peers and ports each one needs, DNS egress included. A default-deny shipped by a
platform repository is declared with `platform.default_deny_namespaces`.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.netpol import EGRESS, INGRESS, NETPOL_KINDS, as_policy, isolated, pod_label_sets
from readylint.model.netpol import selects
from readylint.model.objects import key_path
from readylint.registry import rule

CLAIM = "claim: platform.default_deny_namespaces isolates this namespace"


def _related(policy, why):
    return (Related(policy.obj.name_at(), f"{policy.obj.ref} {why}"),) if policy else ()


def judge(index, wl, opts):
    subject, labels_path = wl.subject(), wl.template_meta_path + ("labels",)
    at, path = wl.at(*labels_path), key_path(*labels_path)
    policies = index.network_policies_selecting(wl)
    if not policies:
        nearest = next(iter(index.in_namespace(wl.namespace, *NETPOL_KINDS)), None)
        related = (Related(nearest.name_at(), f"{nearest.ref} does not select these pods"),) if nearest else ()
        yield subject.fail(f"No network policy selects the pods of {wl.ref}; add a NetworkPolicy that isolates "
                           f"them (a namespace default-deny counts).", at=at, key_path=path, related=related)
        return
    directions = (INGRESS, EGRESS) if opts["require_egress_isolation"] else (INGRESS,)
    failed = False
    for direction in directions:
        ok, culprit = isolated(policies, direction)
        if ok:
            continue
        failed = True
        word = direction.lower()
        if culprit:
            why = f"{culprit.obj.ref} allows all {word} traffic"
        else:
            why = f"no policy selecting them lists {direction} in its policyTypes"
        yield subject.fail(f"The pods of {wl.ref} are not isolated for {word}: {why}; allow only the peers and "
                           f"ports they need.", at=at, key_path=f"{path}[policyTypes={direction}]",
                           related=_related(culprit or policies[0], "selects these pods"))
    if not failed:
        yield subject.passed()


@rule(code="SEC001", slug="network-policy", scope="workload", severity="error", confidence="high", evidence="M",
      options={"require_egress_isolation": True})
def check(index, opts):
    claimed = set((index.settings.get("platform") or {}).get("default_deny_namespaces") or ())
    for wl in index.workloads_for(long_running=None):
        if wl.pod_spec.get("hostNetwork") is True:
            yield wl.subject().not_applicable(NOT_RELEVANT, "hostNetwork pods: network policies do not apply "
                                                            "to the host network")
        elif wl.namespace in claimed:
            yield wl.subject().passed(CLAIM)
        else:
            yield from judge(index, wl, opts)
    for obj in index.of_kind(*NETPOL_KINDS):
        policy = as_policy(obj)
        if index.is_excluded(obj) or (obj.kind == "NetworkPolicy") != (obj.group == "networking.k8s.io"):
            continue
        if not any(selects(policy, labels, obj.namespace) for labels in pod_label_sets(index, obj.namespace)):
            yield obj.subject().fail(f"{obj.ref} selects no rendered pod; check its selector against the pod "
                                     f"labels of namespace {obj.namespace}.", at=obj.at(*policy.selector_path),
                                     key_path=".".join(policy.selector_path), level="note")
