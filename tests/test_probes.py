"""Probe helpers: undeclared named ports, identical probes, containers that receive Service traffic."""
import textwrap

from readylint.inputs.yaml_docs import load_stream
from readylint.model.index import RepoIndex
from readylint.model.objects import K8sObject
from readylint.model.probes import named_port_problems, probe, same_probe, traffic_containers

TEXT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      template:
        metadata:
          labels: {app: api}
        spec:
          containers:
            - name: api
              ports: [{name: http, containerPort: 8080}]
              readinessProbe: {httpGet: {path: /, port: http}}
              livenessProbe: {httpGet: {path: /, port: http}}
            - name: proxy
              ports: [{name: admin, containerPort: 9000}]
              livenessProbe: {tcpSocket: {port: metrics}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: api, namespace: shop}
    spec:
      selector: {app: api}
      ports: [{port: 80, targetPort: 8080}]
    """)


def index():
    objects = [K8sObject("a.yaml", i, doc.data) for i, doc in enumerate(load_stream(TEXT).documents)]
    return RepoIndex(objects, ".")


def test_probe_helpers():
    idx = index()
    wl = idx.workloads[0]
    api, proxy = wl.containers()
    assert same_probe(probe(api, "readinessProbe"), probe(api, "livenessProbe"))
    assert not same_probe(None, probe(api, "livenessProbe"))
    assert named_port_problems(api) == []
    assert named_port_problems(proxy) == [("livenessProbe", "tcpSocket", "metrics")]
    assert traffic_containers(idx, wl) == {"api"}
