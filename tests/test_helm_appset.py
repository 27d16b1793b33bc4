"""ApplicationSets generate the Applications Argo CD would: git files, matrix, merge, selectors, Go templates."""
from __future__ import annotations

import os

import pytest

from readylint.helm.appset import Generators, Unsupported, _doublestar, sanitize, substitute
from readylint.inputs.yaml_docs import load_stream
from tests.helm_support import copy_shop, helm_binary
from tests.helpers import lint
from tests.test_helm_argocd import _plan

CONFIGS = {
    "envs/prod/config.yaml": "env: prod\ncluster:\n  namespace: shop-prod\n  replicas: 3\n",
    "envs/staging/config.json": '{"env": "staging", "cluster": {"namespace": "shop-staging", "replicas": 1}}\n',
    "envs/legacy/config.yaml": "env: legacy\ncluster: {namespace: shop-legacy}\n",
}


def _write(root, files):
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def _appset(generators: str, template: str, go: bool = False) -> str:
    return ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: shop, namespace: argocd}\n"
            f"spec:\n  goTemplate: {'true' if go else 'false'}\n  generators:\n{generators}\n  template:\n{template}")


FAST_TEMPLATE = """    metadata: {name: 'shop-{{path.basename}}'}
    spec:
      source:
        repoURL: https://github.com/example/shop.git
        path: charts/shop
        helm:
          valueFiles: ['values-{{env}}.yaml']
      destination: {namespace: '{{cluster.namespace}}'}
"""
GO_TEMPLATE = """    metadata: {name: '{{ .path.basename | upper | lower }}-{{ index .path.segments 0 }}'}
    spec:
      source:
        repoURL: https://github.com/example/shop.git
        path: charts/shop
        helm:
          valueFiles: ['values-{{ .env }}.yaml']
          parameters: [{name: replicaCount, value: '{{ .cluster.replicas | default 2 }}'}]
      destination: {namespace: '{{ .cluster.namespace }}'}
"""
FILES = """    - git:
        repoURL: https://github.com/example/shop.git
        revision: HEAD
        files:
          - path: 'envs/**/config.{yaml,json}'
          - path: envs/legacy/*
            exclude: true
"""


@pytest.mark.parametrize("go", [False, True])
def test_git_files_generator_turns_each_file_into_an_application(tmp_path, go):
    _write(tmp_path, CONFIGS)
    jobs, planner = _plan(tmp_path, _appset(FILES, GO_TEMPLATE if go else FAST_TEMPLATE, go))
    assert planner.notes == []
    if go:
        assert [(j.label, j.namespace, j.value_files, j.set_values) for j in jobs] == [
            ("Application prod-envs (ApplicationSet shop)", "shop-prod", ["charts/shop/values-prod.yaml"],
             ["replicaCount=3"]),
            ("Application staging-envs (ApplicationSet shop)", "shop-staging", ["charts/shop/values-staging.yaml"],
             ["replicaCount=1"])]
    else:
        assert [(j.label, j.namespace, j.value_files) for j in jobs] == [
            ("Application shop-prod (ApplicationSet shop)", "shop-prod", ["charts/shop/values-prod.yaml"]),
            ("Application shop-staging (ApplicationSet shop)", "shop-staging", ["charts/shop/values-staging.yaml"])]


def test_fasttemplate_parameters_of_a_git_file_are_flattened_with_path_details():
    generators = Generators(False, lambda url: True, lambda: ["a/b/c.yaml"],
                            lambda path: "x: {y: [1, true]}\nname: one\n")
    body = load_stream("git: {repoURL: r, files: [{path: 'a/**/*.yaml'}], pathParamPrefix: p}").documents[0].data
    assert generators.params(body) == [{
        "x.y.0": "1", "x.y.1": "true", "name": "one", "p.path": "a/b", "p.path.basename": "b",
        "p.path.basenameNormalized": "b", "p.path.filename": "c.yaml", "p.path.filenameNormalized": "c.yaml",
        "p.path[0]": "a", "p.path[1]": "b"}]


MATRIX = """    - matrix:
        generators:
          - list:
              elements: [{env: prod}, {env: staging}]
          - git:
              repoURL: https://github.com/example/shop.git
              files: [{path: 'envs/{{env}}/config.*'}]
"""


def test_matrix_feeds_the_first_generators_parameters_into_the_second(tmp_path):
    _write(tmp_path, CONFIGS)
    jobs, planner = _plan(tmp_path, _appset(MATRIX, FAST_TEMPLATE))
    assert planner.notes == []
    assert [(j.label, j.namespace) for j in jobs] == [
        ("Application shop-prod (ApplicationSet shop)", "shop-prod"),
        ("Application shop-staging (ApplicationSet shop)", "shop-staging")]


MERGE = """    - merge:
        mergeKeys: [env]
        generators:
          - list:
              elements:
                - {env: prod, ns: shop-prod, tier: gold}
                - {env: staging, ns: shop-staging, tier: bronze}
          - list:
              elements: [{env: staging, ns: shop-qa}, {env: other, ns: nowhere}]
      selector:
        matchExpressions: [{key: tier, operator: In, values: [gold, bronze]}]
    - list:
        elements: [{env: prod, ns: skipped, tier: none}]
      selector: {matchLabels: {tier: gold}}
"""
MERGE_TEMPLATE = """    metadata: {name: 'shop-{{ .env }}'}
    spec:
      source: {repoURL: 'https://github.com/example/shop.git', path: charts/shop}
      destination: {namespace: '{{ .ns }}'}
"""


def test_merge_overrides_the_base_sets_by_merge_key_and_selectors_filter(tmp_path):
    jobs, planner = _plan(tmp_path, _appset(MERGE, MERGE_TEMPLATE, go=True))
    assert planner.notes == []
    assert [(j.label, j.namespace) for j in jobs] == [("Application shop-prod (ApplicationSet shop)", "shop-prod"),
                                                      ("Application shop-staging (ApplicationSet shop)", "shop-qa")]


def test_a_generator_template_overrides_the_application_set_template(tmp_path):
    generators = """    - list:
        elements: [{env: prod}]
        template:
          metadata: {}
          spec:
            destination: {namespace: 'override-{{env}}'}
"""
    jobs, _ = _plan(tmp_path, _appset(generators, FAST_TEMPLATE.replace("{{path.basename}}", "{{env}}")))
    assert [(j.label, j.namespace, j.value_files) for j in jobs] == [
        ("Application shop-prod (ApplicationSet shop)", "override-prod", ["charts/shop/values-prod.yaml"])]


def test_generators_that_need_a_live_argo_cd_stay_a_note_even_inside_a_matrix(tmp_path):
    generators = """    - matrix:
        generators:
          - clusters: {selector: {matchLabels: {env: prod}}}
          - list: {elements: [{env: prod}]}
    - pullRequest: {github: {owner: example, repo: shop}}
"""
    jobs, planner = _plan(tmp_path, _appset(generators, FAST_TEMPLATE))
    assert jobs == []
    assert [m for _, m in planner.notes] == [
        f"ApplicationSet argocd/shop: {kind} generators are not evaluated (they need a live Argo CD); only list, git, "
        "matrix and merge generators are rendered" for kind in ("clusters", "pullRequest")]


def test_git_generators_of_another_repository_are_not_guessed(tmp_path):
    text = _appset(FILES.replace("example/shop", "someone/else"), FAST_TEMPLATE)
    jobs, planner = _plan(tmp_path, text, {"github.com/example/shop"})
    assert jobs == [] and [m for _, m in planner.notes] == [
        "ApplicationSet argocd/shop: git generators of another repository (https://github.com/someone/else.git) "
        "are not evaluated"]


def test_go_template_subset_and_what_it_refuses():
    node = load_stream("a: '{{ .p.x | default \"d\" }}-{{ printf \"%s-%d\" .p.y 7 }}-{{ normalize .p.z }}'\n"
                       "b: '{{ trimSuffix \"-x\" (replace \"_\" \"-\" .p.z) }}'\n").documents[0].data
    out = substitute(node, {"p": {"y": "why", "z": "My_App-x"}}, go=True)
    assert dict(out) == {"a": "d-why-7-my-app-x", "b": "My-App"}
    for refused in ("{{ if .p }}x{{ end }}", "{{ .missing }}", "{{ env \"HOME\" }}"):
        with pytest.raises(Unsupported):
            substitute(load_stream(f"a: '{refused}'").documents[0].data, {"p": 1}, go=True)


def test_names_and_globs_follow_argo_cd():
    assert sanitize("Directory_2.Prod") == "directory-2.prod"
    assert _doublestar("envs/**/config.json").match("envs/a/b/config.json")
    assert _doublestar("envs/**/config.json").match("envs/config.json")
    assert not _doublestar("envs/*/config.json").match("envs/a/b/config.json")


def test_an_application_set_with_a_git_files_generator_renders_each_environment(tmp_path, monkeypatch):
    """End to end with helm: one finding on the template, naming both generated Applications."""
    monkeypatch.setenv("PATH", os.path.dirname(helm_binary()) + os.pathsep + os.environ["PATH"])
    copy_shop(tmp_path)
    for app in (tmp_path / "argocd").iterdir():
        app.unlink()
    _write(tmp_path, {**CONFIGS, "argocd/shop.yaml": _appset(FILES, FAST_TEMPLATE)})
    report = lint(tmp_path, select=["HA001"])
    found = sorted((f.location.path, f.location.line, f.properties.get("renders")) for f in report.active)
    both = ["Application shop-prod (ApplicationSet shop)", "Application shop-staging (ApplicationSet shop)"]
    assert found == [("charts/shop/charts/worker/templates/deployment.yaml", 9, both[1:]),
                     ("charts/shop/templates/deployment.yaml", 8, both)]


def test_a_template_patch_is_reported_as_not_applied(tmp_path):
    text = _appset("    - list: {elements: [{env: prod}]}\n", MERGE_TEMPLATE.replace("{{ .ns }}", "shop"), go=True)
    text = text.replace("  template:\n", "  templatePatch: |\n    spec: {}\n  template:\n", 1)
    jobs, planner = _plan(tmp_path, text)
    assert [j.label for j in jobs] == ["Application shop-prod (ApplicationSet shop)"]
    assert [m for _, m in planner.notes] == [
        "ApplicationSet argocd/shop: templatePatch is not applied to the generated Applications"]
