"""Cache strategy implemented.

## What it does
Looks for a cache layer and its policy: Redis, Valkey, KeyDB, Dragonfly, Memcached or Varnish workloads, cache
chart dependencies in `Chart.yaml`, Redis and Dragonfly operator CRs, application env such as `REDIS_URL`,
`CACHE_URL` or `MEMCACHED_*`, ingress-nginx proxy caching, a GKE BackendConfig with Cloud CDN, or a documentation
section about caching (what is cached, TTLs, invalidation) of at least `doc_section_min_words` words. A Redis-like
cache must bound its memory with `maxmemory` and pick an eviction policy with `maxmemory-policy` (in its args or
a rendered ConfigMap it mounts); one without them is a `warning`. Redis that serves as a queue, broker or primary
store (persistent volume, `appendonly yes`, or a name or consumer env that says queue, broker, cart, store...)
is neither counted nor asked to evict. Claim `platform.no_cache_required` when the service needs no cache;
repositories without a long-running workload (or with `project.type` library or batch) are not judged.
Low confidence: in-process caches are invisible, so a human must confirm a finding against the code.

## Why it matters
Without a cache every read hits the database or upstream API, so latency and cost grow with traffic; a cache with
no memory bound grows until it is OOM-killed and drops everything at once.

## How to fix
Deploy the cache beside the service with `--maxmemory` and `--maxmemory-policy allkeys-lru` (or the policy your
access pattern needs), and document what is cached and for how long in a "Caching" section.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata: {name: session-cache, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: redis
          image: redis:7.2
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata: {name: session-cache, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: redis
          image: redis:7.2
          args: ["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
```
"""
import re

from readylint import lazy_re
from readylint.findings import NOT_RELEVANT, Location
from readylint.inputs.markup import DOC_SUFFIXES, parse
from readylint.model.objects import dig, mapping, sequence
from readylint.registry import rule

CACHE_IMAGE = lazy_re.compile(r"^(redis|valkey|keydb|dragonfly|memcached|varnish)", re.IGNORECASE)
EVICTS_ITSELF = ("memcached", "varnish")
CACHE_CHARTS = lazy_re.compile(r"^(redis|redis-cluster|valkey|valkey-cluster|keydb|dragonfly|memcached|varnish)$")
CACHE_CRS = {("databases.spotahome.com", "RedisFailover"), ("redis.redis.opstreelabs.in", "Redis"),
             ("redis.redis.opstreelabs.in", "RedisCluster"), ("dragonflydb.io", "Dragonfly")}
CACHE_ENV = lazy_re.compile(r"^(REDIS_(URL|HOST|ADDR|ADDRESS)|CACHE_(URL|HOST|ADDR)|MEMCACHED_\w+)$", re.IGNORECASE)
NOT_A_CACHE = lazy_re.compile(r"queue|broker|sidekiq|celery|jobs?\b|bull|stream|cart|store|db\b|database|persist",
                         re.IGNORECASE)
STORE_ENV = lazy_re.compile(r"BROKER|QUEUE|CELERY|SIDEKIQ|JOBS?_|RQ_", re.IGNORECASE)


def _image_name(image) -> str:
    return str(image or "").rsplit("/", 1)[-1].split(":")[0].split("@")[0]


def _text(container) -> str:
    return " ".join(str(v) for key in ("command", "args") for v in sequence(container.data.get(key)))


def _eviction(text):
    """(memory bounded, evicting policy) from Redis args or redis.conf text."""
    sizes = re.findall(r"(?<![\w-])-{0,2}maxmemory(?![\w-])[\s=:\"']+(\d+)", text)
    policies = re.findall(r"maxmemory-policy[\s=:\"']+([\w-]+)", text)
    return any(int(s) > 0 for s in sizes), any(p != "noeviction" for p in policies)


def _mounted_config(index, wl) -> tuple[str, bool]:
    """Text of the rendered ConfigMaps the pod mounts, and whether any mounted ConfigMap is missing."""
    texts, missing = [], False
    for volume in sequence(wl.pod_spec.get("volumes")):
        name = dig(volume, "configMap", "name")
        if name:
            found = index.get("ConfigMap", wl.namespace, str(name))
            if found is None:
                missing = True
            else:
                texts += [str(v) for v in (mapping(found.data.get("data")) or {}).values()]
    return " ".join(texts), missing


def _store_consumers(index) -> str:
    """Env values that name a broker or queue (``CELERY_BROKER_URL=redis://queue:6379``), joined."""
    values = []
    for wl in index.workloads:
        for container in wl.containers():
            for env in sequence(container.data.get("env")):
                if STORE_ENV.search(str(dig(env, "name") or "")):
                    values.append(str(dig(env, "value") or ""))
    return " ".join(values)


def cache_workloads(index):
    """(workload, container, kind, is_cache) for every cache-image container of the render."""
    stores = _store_consumers(index)
    for wl in index.workloads_for(long_running=True):
        for container in wl.containers():
            kind = CACHE_IMAGE.match(_image_name(container.data.get("image")))
            if not kind or container.init or "sentinel" in f"{container.name} {_text(container)}":
                continue
            persistent = bool(sequence(wl.obj.spec.get("volumeClaimTemplates"))) or any(
                dig(v, "persistentVolumeClaim") for v in sequence(wl.pod_spec.get("volumes")))
            text = _text(container)
            store = persistent or re.search(r"appendonly\W+yes", text) or NOT_A_CACHE.search(wl.obj.name) or (
                wl.obj.name in stores)
            yield wl, container, kind.group(1).lower(), not store
            break  # the server container; helpers built from the same image are not judged again


def doc_section(index, min_words):
    for path in index.repo.glob(*(f"**/*{s}" for s in DOC_SUFFIXES)):
        text = index.repo.text(path)
        if not text or "cach" not in text.lower():
            continue
        doc = parse(path, text)
        for section in doc.sections:
            if re.search(r"\bcach(e|es|ing)\b", section.heading.text, re.IGNORECASE) and section.words >= min_words:
                return Location(path, section.heading.line, section.heading.col)
    return None


@rule(code="PERF004", slug="cache-strategy", scope="repository", severity="note", confidence="low", evidence="M,R",
      options={"doc_section_min_words": 20})
def check(index, opts):
    subject = index.repo.subject("cache", "the repository's cache strategy")
    if (index.settings.get("platform") or {}).get("no_cache_required") is True:
        yield subject.not_applicable(NOT_RELEVANT, "claim: platform.no_cache_required")
        return
    if (index.settings.get("project") or {}).get("type") in ("library", "batch") or not any(
            index.workloads_for(long_running=True)):
        yield subject.not_applicable(NOT_RELEVANT, "no long-running service in the render (or project.type is "
                                                   "library or batch): nothing serves requests to cache")
        return
    evidence, caches = [], list(cache_workloads(index))
    for wl, container, kind, is_cache in caches:
        if not is_cache:
            continue
        evidence.append(f"{kind} in {wl.ref}")
        if kind in EVICTS_ITSELF:
            continue
        config, missing = _mounted_config(index, wl)
        text = _text(container) + " " + config
        if kind == "dragonfly" and "cache_mode" in text:
            continue
        limit, policy = _eviction(text)
        if limit and policy:
            continue
        if missing and "maxmemory" not in text:
            continue  # its configuration file is not rendered: nothing to judge
        what = "an eviction policy" if limit else "a memory bound (maxmemory above 0)" if policy else \
            "maxmemory or an eviction policy"
        yield wl.subject().fail(f"{container.kind_word} '{container.name}' of {wl.ref} runs {kind} as a cache "
                                f"without {what}, so it grows until it is OOM-killed or refuses writes; set "
                                f"maxmemory and maxmemory-policy (for example allkeys-lru).",
                                at=wl.at(*container.path), key_path=f"containers[{container.name}].args",
                                level="warning")
    evidence += [f"chart dependency {name}" for name in _chart_dependencies(index)]
    evidence += [o.ref for o in index.objects if (o.group, o.kind) in CACHE_CRS]
    evidence += _env_evidence(index, caches)
    evidence += [f"CDN caching in {o.ref}" for o in index.of_kind("BackendConfig") if dig(o.spec, "cdn", "enabled")]
    evidence += [f"proxy caching on {o.ref}" for o in index.of_kind("Ingress")
                 if "proxy_cache" in str(o.annotations.get("nginx.ingress.kubernetes.io/configuration-snippet", ""))]
    section = doc_section(index, opts["doc_section_min_words"])
    if section is not None:
        evidence.append(f"the caching section of {section.path}")
    if evidence:
        yield subject.passed("; ".join(list(dict.fromkeys(evidence))[:3]))
    else:
        yield subject.fail("The repository shows no cache strategy: no cache workload, cache dependency, HTTP "
                           "caching or 'Caching' documentation section. Add the cache the service uses (or "
                           "document the in-process caching: what, TTLs, invalidation), or claim "
                           "platform.no_cache_required.", at=index.repo.anchor(), key_path="cache")


def _chart_dependencies(index):
    for path, docs in index.documents.items():
        if path.lower().endswith("chart.yaml"):
            for doc in docs:
                for dep in sequence(dig(doc.data, "dependencies")):
                    if CACHE_CHARTS.match(str(dig(dep, "name") or "")):
                        yield str(dep["name"])


def _env_evidence(index, caches):
    stores = {wl.obj.name for wl, _, _, is_cache in caches if not is_cache}
    for wl in index.workloads_for(long_running=None):
        for container in wl.containers():
            for env in sequence(container.data.get("env")):
                name, value = str(dig(env, "name") or ""), str(dig(env, "value") or "")
                if CACHE_ENV.match(name) and not any(store in value for store in stores):
                    yield f"{name} in {wl.ref}"
                    return
