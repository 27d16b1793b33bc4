"""Admission controls: which Pod Security labels and policies would reject a pod of a namespace."""
from __future__ import annotations

from readylint.model.admission import namespace_controls

from .test_model import index_of

POLICIES = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: labels-only}
spec:
  rules:
    - name: require-team-label
      match: {any: [{resources: {kinds: [Namespace]}}]}
      validate: {failureAction: Enforce}
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: baseline}
spec:
  validationFailureAction: Enforce
  rules:
    - name: baseline
      match: {any: [{resources: {kinds: [Pod]}}]}
      exclude: {any: [{resources: {namespaces: [legacy]}}]}
      validate: {podSecurity: {level: baseline}}
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredProbes
metadata: {name: probes}
spec:
  match: {namespaces: ["team-*"]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: warn-only}
spec:
  policyName: no-latest
  validationActions: [Warn]
"""


def test_policies_cover_namespaces_by_kind_namespace_and_exclusion():
    index = index_of(POLICIES)
    shop = {c.what: c.enforcing for c in namespace_controls(index, "shop", "baseline")}
    assert shop == {"ClusterPolicy baseline (Enforce)": True,  # the Namespace-only policy protects no pod
                    "ValidatingAdmissionPolicyBinding warn-only (Warn actions)": False}
    legacy = [c.what for c in namespace_controls(index, "legacy", "baseline")]
    assert "ClusterPolicy baseline (Enforce)" not in legacy  # excluded namespace
    team = [c.what for c in namespace_controls(index, "team-a", "baseline") if c.enforcing]
    assert "K8sRequiredProbes probes (deny)" in team  # Gatekeeper denies by default


def test_pod_security_labels_are_judged_against_the_minimum_level():
    index = index_of("""\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn: restricted}
""")
    assert [c.enforcing for c in namespace_controls(index, "shop", "baseline")] == [True]
    restricted = namespace_controls(index, "shop", "restricted")
    assert [c.enforcing for c in restricted] == [False]
    assert "below restricted" in restricted[0].defect
