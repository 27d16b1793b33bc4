"""Anti-affinity terms, spread constraints and zone pinning read from a pod template."""
import textwrap

from readylint.inputs.yaml_docs import load_stream
from readylint.model.objects import K8sObject
from readylint.model.scheduling import anti_affinity_terms, spread_constraints, zone_pin
from readylint.model.workloads import Workload


def workload(pod_spec: str) -> Workload:
    text = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api}
        spec:
          template:
            metadata:
              labels: {app: api, tier: web}
            spec:
        """) + textwrap.indent(textwrap.dedent(pod_spec), "      ")
    obj = K8sObject("d.yaml", 0, load_stream(text).documents[0].data)
    return Workload(obj, obj, ("spec", "template"), True)


def test_preferred_and_required_terms():
    wl = workload("""\
        affinity:
          podAntiAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              - topologyKey: kubernetes.io/hostname
                labelSelector: {matchLabels: {app: api}}
            preferredDuringSchedulingIgnoredDuringExecution:
              - weight: 1
                podAffinityTerm:
                  topologyKey: topology.kubernetes.io/zone
                  labelSelector: {matchLabels: {app: other}}
        """)
    terms = anti_affinity_terms(wl)
    assert [(t.topology_key, t.matches_own) for t in terms] == [
        ("kubernetes.io/hostname", True), ("topology.kubernetes.io/zone", False)]
    assert terms[1].path[-1] == "podAffinityTerm"
    assert wl.at(*terms[0].path).line == 12


def test_spread_with_match_label_keys():
    wl = workload("""\
        topologySpreadConstraints:
          - topologyKey: topology.kubernetes.io/zone
            maxSkew: 1
            labelSelector: {matchLabels: {app: api}}
            matchLabelKeys: [pod-template-hash]
          - topologyKey: topology.kubernetes.io/zone
            maxSkew: 1
            labelSelector: {matchLabels: {app: api}}
            matchLabelKeys: [tier]
        """)
    assert [c.matches_own for c in spread_constraints(wl)] == [False, True]


def test_zone_pin_by_node_selector_and_affinity():
    assert zone_pin(workload("nodeSelector: {topology.kubernetes.io/zone: a}\n"))[0] == "a"
    single = workload("""\
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - {key: topology.kubernetes.io/zone, operator: In, values: [b]}
        """)
    assert zone_pin(single)[0] == "b"
    two = workload("""\
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - {key: topology.kubernetes.io/zone, operator: In, values: [a, b]}
        """)
    assert zone_pin(two) is None
    assert zone_pin(workload("nodeSelector: {pool: x}\n")) is None
