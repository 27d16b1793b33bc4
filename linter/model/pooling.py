"""Connection-pooling evidence for workloads that use a database: poolers next to them, pool sizes in env,
application code and config, drivers that pool by default, and the database's ``max_connections``.

Repository scans stop at the first hit and are cached per run.
"""
from __future__ import annotations

import re

from .. import lazy_re
from .dependencies import backends
from .objects import dig, mapping, sequence

POOL_ENV = lazy_re.compile(r"POOL_SIZE|POOL_MAX|MAX_POOL|MAXIMUM_POOL_SIZE|MAX_OPEN_CONN|DB_MAX_CONN|DATABASE_MAX_CONN|"
                      r"DB_POOL|DATABASE_POOL|CONN_MAX_AGE|HIKARI")
POOLER_IMAGES = lazy_re.compile(r"(pgbouncer|odyssey|pgcat|proxysql|pgpool)")
APP_SETTINGS = lazy_re.compile(r"(maximum-pool-size|maximumPoolSize|hikari\.maximum|pool_size\s*=|max_overflow|"
                          r"SetMaxOpenConns\(|CONN_MAX_AGE|pgxpool\.|\bconnectionLimit\b|\bmaxPoolSize\b|"
                          r"pool\s*:\s*\{?\s*max|new\s+Pool\()")
APP_GLOBS = ("**/application*.properties", "**/application*.yml", "**/application*.yaml", "**/settings*.py",
             "**/*.go", "**/*.py", "**/*.java", "**/*.kt", "**/*.js", "**/*.ts", "**/*.cs", "**/*.rb")
DRIVERS = (("**/pom.xml", r"spring-boot-starter-(data-jpa|jdbc)|HikariCP", "HikariCP"),
           ("**/build.gradle*", r"spring-boot-starter-(data-jpa|jdbc)|HikariCP", "HikariCP"),
           ("**/requirements*.txt", r"(?i)sqlalchemy", "SQLAlchemy"),
           ("**/pyproject.toml", r"(?i)sqlalchemy", "SQLAlchemy"))
MAX_SCANNED = 2000


def env_pool_size(wl):
    """(size or None, container, env name) of the first pool setting in the workload's env, or None."""
    for c in wl.containers():
        for entry in sequence(c.data.get("env")):
            name = str(dig(entry, "name") or "")
            if name and POOL_ENV.search(name.upper()):
                value = str(entry.get("value", "")).strip()
                size = int(value) if value.isdigit() and "AGE" not in name.upper() else None
                return size, c, name
    return None


def max_connections(index, dep):
    """(max_connections, CloudNativePG Cluster) when the host is a CloudNativePG service, else None."""
    name = dep.host.split(".")[0] if dep.host else ""
    match = re.match(r"^(?P<cluster>.+)-(rw|ro|r)$", name)
    if not match:
        return None
    cluster = index.get("Cluster", dep.namespace, match["cluster"])
    if cluster is None or not cluster.group.startswith("postgresql.cnpg.io"):
        return None
    value = str(dig(cluster.spec, "postgresql", "parameters", "max_connections") or "100")
    return (int(value), cluster) if value.isdigit() else None


def pooler_for(index, wl, dep) -> str | None:
    """Why the database calls of ``wl`` are pooled by an operator or a pooler workload, or None."""
    ns = wl.namespace
    for pooler in index.in_namespace(ns, "Pooler"):
        if pooler.group.startswith("postgresql.cnpg.io"):
            exact = dep.host.split(".")[0] == pooler.name if dep.host else False
            note = "" if exact else "; confirm the application connects through it"
            if dig(pooler.spec, "pgbouncer", "poolMode") == "transaction":
                note += "; transaction pooling breaks prepared statements and advisory locks"
            return pooler.ref + note
    if dep.service is not None and any(POOLER_IMAGES.search(str(c.data.get("image") or "")) for b in
                                       backends(index, dep.service) for c in b.containers()):
        return f"{dep.service.ref} is a connection pooler"
    for other in index.workloads:
        if other.namespace == ns and other is not wl and any(
                POOLER_IMAGES.search(str(c.data.get("image") or "")) for c in other.containers()):
            return f"{other.ref} runs a pooler; confirm the application connects through it"
    for obj in index.in_namespace(ns, "postgresql", "PostgresCluster"):
        if obj.spec.get("enableConnectionPooler") is True or mapping(dig(obj.spec, "proxy", "pgBouncer")):
            return f"{obj.ref} enables its connection pooler"
    return None


def _scan(index, key, patterns, regex):
    cache = index.__dict__.setdefault("_pooling_cache", {})
    if key not in cache:
        cache[key] = None
        for path in index.repo.glob(*patterns)[:MAX_SCANNED]:
            if regex.search(index.repo.text(path) or ""):
                cache[key] = path
                break
    return cache[key]


def app_pool_setting(index) -> str | None:
    """The first application file that sizes a connection pool."""
    return _scan(index, "app", APP_GLOBS, APP_SETTINGS)


def default_pooling_driver(index) -> str | None:
    """A driver that pools by default, found in a dependency manifest."""
    for pattern, regex, name in DRIVERS:
        if _scan(index, name + pattern, (pattern,), re.compile(regex)):
            return name
    return None
