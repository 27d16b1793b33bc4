"""Backup evidence: stateful components and the schedule arithmetic DR001 relies on."""
from __future__ import annotations

import pytest

from readylint.model.backups import cron_interval, go_duration, stateful_components

from .test_model import index_of

HOUR, DAY = 3600, 86400


@pytest.mark.parametrize(("expr", "seconds"), [
    ("0 2 * * *", DAY), ("@daily", DAY), ("*/15 * * * *", 900), ("0 */6 * * *", 6 * HOUR),
    ("0 3 * * 0", 7 * DAY), ("0 0 * * 1-5", 3 * DAY),  # Friday to Monday is the longest gap
    ("0 0 1 * *", 31 * DAY), ("@every 12h", 12 * HOUR), ("not a cron", None), ("0 0 * *", None),
])
def test_cron_interval_is_the_longest_gap_between_runs(expr, seconds):
    assert cron_interval(expr) == seconds


@pytest.mark.parametrize(("text", "seconds"), [
    ("720h0m0s", 720 * HOUR), ("1.5h", 1.5 * HOUR), ("90m", 5400), ("24h", DAY), ("3d", None), ("", None),
])
def test_go_duration(text, seconds):
    assert go_duration(text) == seconds


def test_stateful_components_are_claims_templates_orphan_pvcs_and_database_crs():
    index = index_of("""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  volumeClaimTemplates: [{metadata: {name: data}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: uploader, namespace: shop}
spec:
  template:
    spec:
      volumes:
        - name: uploads
          persistentVolumeClaim: {claimName: uploads}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, namespace: shop}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: orders, namespace: shop}
""")
    found = [(c.obj.kind, c.obj.name, c.segments[-1]) for c in stateful_components(index)]
    assert found == [("StatefulSet", "db", "volumeClaimTemplates"), ("Deployment", "uploader", 0),
                     ("PersistentVolumeClaim", "scratch", "spec"), ("Cluster", "orders", "spec")]
