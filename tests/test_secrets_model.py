"""Secrets evidence: what a workload reads, who produces it, and what counts as a secret in plain text."""
from __future__ import annotations

import pytest

from readylint.model.secrets import consumed_secrets, literal_secret, producers, secret_content

from .test_model import index_of


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("DB_PASSWORD", "hunter2", True), ("STRIPE_API_KEY", "sk_live_x", True), ("SENTRY_DSN", "https://x", True),
    ("PASSWORD_FILE", "/run/secrets/db", False), ("TOKEN_URL", "https://auth/token", False),
    ("DB_PASSWORD", "$(DB_PASSWORD)", False), ("API_TOKEN", "", False), ("passwordPattern", "^.{8,}$", False),
    ("UPSTREAM", "https://user:s3cret@example.com/", True), ("AWS", "AKIAABCDEFGHIJKLMNOP", True),
    ("LOG_LEVEL", "debug", False),
])
def test_literal_secret(name, value, secret):
    assert (literal_secret(name, value) is not None) is secret


def test_secret_content_reads_embedded_config_files():
    assert secret_content("grafana.ini", "[security]\nadmin_password = admin\n")
    assert secret_content("alertmanager.yaml", "global:\n  slack_api_url: https://hooks.slack.com/x\n")
    assert secret_content("alertmanager.yaml", "route:\n  receiver: default\n") is None


def test_consumed_secrets_and_their_producers():
    index = index_of("""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: api
          env:
            - name: A
              valueFrom: {secretKeyRef: {name: db, key: password}}
          envFrom:
            - secretRef: {name: db}
            - secretRef: {name: api-env}
      volumes:
        - name: certs
          secret: {secretName: api-certs}
        - name: mixed
          projected:
            sources:
              - secret: {name: bundle}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db, namespace: shop}
spec:
  secretStoreRef: {name: vault}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: vault, namespace: shop}
spec: {provider: {vault: {server: "https://vault"}}}
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: api-env, namespace: shop}
""")
    wl = index.workloads[0]
    assert [(c.secret, c.how) for c in consumed_secrets(wl)] == [
        ("db", "env"), ("api-env", "envFrom"), ("api-certs", "volume"), ("bundle", "projected volume")]
    made = producers(index)
    assert made[("shop", "db")].vault is True
    assert made[("shop", "api-env")].vault is False
