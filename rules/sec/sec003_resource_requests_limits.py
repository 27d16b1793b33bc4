"""Resource limits and requests defined.

## What it does
Checks that every container, init container and native sidecar sets `resources.requests.cpu`,
`resources.requests.memory` and `resources.limits.memory` (and `limits.cpu` when `require_cpu_limit` is true),
that no quantity is zero or malformed, that no request exceeds its limit, and (a `warning`) that the memory
limit is at most `max_limit_to_request_ratio` times the request. Pod-level `spec.resources` covers the fields it
sets. Jobs are not exempt. A LimitRange of the namespace that fills a missing value turns that finding into a
`note`.

## Why it matters
Without requests the scheduler packs pods blindly and quotas reject them; without a memory limit one leaking
pod can push a node into out-of-memory kills of its neighbours. A limit far above the request over-commits
the node.

## How to fix
Set requests from observed usage and a memory limit close to the request, e.g.
`resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}`.

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
          resources: {}
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.4.2
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 256Mi}
```

## Options
* `require_cpu_limit` (`thresholds.require_cpu_limit`): also require `limits.cpu`.
* `max_limit_to_request_ratio` (`thresholds.max_limit_to_request_ratio`): memory limit ÷ request above it warns.
* `limitrange_downgrade`: whether a namespace LimitRange turns missing values into notes.
"""
from readylint.findings import Related
from readylint.model.objects import dig, key_path, mapping, sequence
from readylint.model.quantities import parse_quantity, show
from readylint.registry import rule


def limitrange_fills(index, namespace, section, resource):
    """The LimitRange whose Container limits fill ``section.resource`` at admission, if any."""
    keys = ("default",) if section == "limits" else ("defaultRequest", "default")
    for lr in index.in_namespace(namespace, "LimitRange"):
        for item in sequence(lr.spec.get("limits")):
            if dig(item, "type") == "Container" and any(dig(item, k, resource) is not None for k in keys):
                return lr
    return None


def container_findings(index, wl, c, opts):
    at = wl.at(*c.path, "resources")
    own = mapping(c.data.get("resources")) or {}
    pod = mapping(wl.pod_spec.get("resources")) or {}
    who = f"{c.kind_word} '{c.name}' of {wl.ref}"
    wanted = [("requests", "cpu"), ("requests", "memory"), ("limits", "memory")]
    if opts["require_cpu_limit"]:
        wanted.append(("limits", "cpu"))
    values, missing, filled = {}, [], []
    for section, res in wanted + [("limits", "cpu")]:
        value = dig(own, section, res)
        if value is None:
            if dig(pod, section, res) is None and (section, res) in wanted:
                lr = limitrange_fills(index, wl.namespace, section, res) if opts["limitrange_downgrade"] else None
                (filled if lr else missing).append((f"{section}.{res}", lr))
            continue
        number = parse_quantity(value)
        path = key_path(*c.path, "resources", section, res)
        if number is None or number <= 0:
            defect = "is not a valid quantity" if number is None else "is zero"
            yield dict(message=f"{who} sets {section}.{res} to '{show(value)}', which {defect}; set a positive "
                               f"quantity such as 100m or 128Mi.", at=at, key_path=path)
        else:
            values[(section, res)] = number
    for fields, level in ((missing, None), (filled, "note")):
        if fields:
            names = [f for f, _ in fields]
            listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
            extra, related = "", ()
            if level:
                lr = fields[0][1]
                extra = f" ({lr.ref} fills {'it' if len(names) == 1 else 'them'} at admission)"
                related = (Related(lr.name_at(), f"{lr.ref} sets container defaults"),)
            yield dict(message=f"{who} sets no {listed}{extra}; set {'it' if len(names) == 1 else 'them'} "
                               f"under resources.", at=at,
                       key_path=key_path(*c.path, "resources") + (".limitrange" if level else ""),
                       level=level, related=related)
    for res in ("cpu", "memory"):
        request, limit = values.get(("requests", res)), values.get(("limits", res))
        if request is not None and limit is not None and request > limit:
            yield dict(message=f"{who} requests more {res} than its limit ({show(dig(own, 'requests', res))} > "
                               f"{show(dig(own, 'limits', res))}); raise the limit or lower the request.",
                       at=at, key_path=key_path(*c.path, "resources", "limits", res))
    request, limit = values.get(("requests", "memory")), values.get(("limits", "memory"))
    ratio = opts["max_limit_to_request_ratio"]
    if request and limit and limit >= request and limit > request * ratio:
        yield dict(message=f"{who} allows {float(limit / request):.3g} times its memory request as limit, above "
                           f"{ratio}; bring the limit closer to the request.", at=at, level="warning",
                   key_path=key_path(*c.path, "resources", "limits", "memory"))


@rule(code="SEC003", slug="resource-requests-limits", scope="workload", severity="error", confidence="high",
      evidence="M", options={"require_cpu_limit": False, "max_limit_to_request_ratio": 4,
                             "limitrange_downgrade": True})
def check(index, opts):
    for wl in index.workloads_for(long_running=None):
        subject = wl.subject()
        found = [subject.fail(**f) for c in wl.containers() for f in container_findings(index, wl, c, opts)]
        yield from found or [subject.passed()]
