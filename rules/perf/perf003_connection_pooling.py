"""Connection pooling configured.

## What it does
For each long-running workload that talks to a database (database URLs, hosts and ports in env, or
secret-held database URLs) looks for connection pooling: a pooler in the namespace (CloudNativePG
`Pooler`, PgBouncer, Odyssey, pgcat or ProxySQL workloads, Zalando `enableConnectionPooler`, Crunchy
`proxy.pgBouncer`), pool settings in env or ConfigMaps, an Istio DestinationRule `connectionPool` for the
database host, pool settings in application code or config (HikariCP, SQLAlchemy, Django, Go
`SetMaxOpenConns`), or a driver that pools by default (HikariCP, SQLAlchemy, MongoDB drivers). When the pool
size and a CloudNativePG cluster are both known it checks that pool size × maximum replicas fits in
`max_connections` minus `reserved_connections`.

## Why it matters
Opening a connection per request exhausts the database's `max_connections` under load, and every new pod
of an autoscaled service adds its own pool: the database then refuses connections to everyone.

## How to fix
Put PgBouncer (or a CloudNativePG `Pooler`) in front of the database, or set an explicit pool size in the
client, small enough that all replicas together stay under `max_connections`.

## Options
* `reserved_connections`: connections kept free for superusers and maintenance.

## Example
```yaml fail
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: DATABASE_URL
              value: postgres://db.example.com:5432/api
```
```yaml pass
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          env:
            - name: DATABASE_URL
              value: postgres://db.example.com:5432/api
            - name: DB_POOL_SIZE
              value: "10"
```
"""
from readylint.findings import NOT_RELEVANT, Related
from readylint.model.dependencies import workload_dependencies
from readylint.registry import rule


def judge(index, wl, dbs, opts):
    # pooling and mesh settings are read only for a workload that talks to a database
    from readylint.model.mesh import breaker_settings, destination_rules
    from readylint.model.pooling import app_pool_setting, default_pooling_driver, env_pool_size, max_connections
    from readylint.model.pooling import pooler_for

    subject, first = wl.subject(), dbs[0]
    what = f"{first.database if first.database != 'database' else 'its database'} ({first.label})"
    pool = env_pool_size(wl)
    if pool is not None and pool[0] is not None:
        size, container, name = pool
        limit = max_connections(index, first)
        replicas = index.effective_replicas(wl)[1]
        if limit is not None and size * replicas > limit[0] - opts["reserved_connections"]:
            cluster = limit[1]
            return subject.fail(f"{wl.ref} may open {size} × {replicas} = {size * replicas} connections to {what}, "
                                f"more than max_connections {limit[0]} minus {opts['reserved_connections']} "
                                f"reserved; lower the pool size or add a pooler.",
                                at=wl.at(*container.path, "env", ("name", name)), key_path=f"env.{name}",
                                related=(Related(cluster.name_at(), f"{cluster.ref} sets max_connections"),))
    if pool is not None:
        return subject.passed(f"pool setting {pool[2]} in env")
    if (pooler := pooler_for(index, wl, first)) is not None:
        return subject.passed(pooler)
    if first.host and any(breaker_settings(dr) and any(k == "connectionPool" for _, k in breaker_settings(dr))
                          for dr in destination_rules(index, first.host, first.namespace)):
        return subject.passed("DestinationRule connectionPool for the database host")
    if (setting := app_pool_setting(index)) is not None:
        return subject.passed(f"pool setting in {setting}")
    if first.database == "MongoDB":
        return subject.passed("MongoDB drivers pool connections by default")
    if (driver := default_pooling_driver(index)) is not None:
        return subject.passed(f"{driver} pools connections by default; consider an explicit size")
    return subject.fail(f"{wl.ref} connects to {what} without connection pooling evidence: no pooler, pool size "
                        f"or pooling driver; add a pooler (PgBouncer, ProxySQL) or set a client pool size.",
                        at=first.location,
                        key_path=f"env.{first.env}")


@rule(code="PERF003", slug="connection-pooling", scope="workload", severity="warning", confidence="medium",
      evidence="M, R", options={"reserved_connections": 3})
def check(index, opts):
    for wl in index.workloads_for(long_running=True):
        dbs = [d for d in workload_dependencies(index, wl) if d.database]
        if not dbs:
            yield wl.subject().not_applicable(NOT_RELEVANT, "no database dependency detected")
        else:
            yield judge(index, wl, dbs, opts)
