"""The positioned YAML loader: shapes, positions and the real-world quirks Kubernetes accepts."""
from __future__ import annotations

from readylint.inputs.files import decode
from readylint.inputs.yaml_docs import YMap, load_stream

from .conftest import CORPUS, needs_shared


def test_positions_are_one_based_for_keys_and_list_items():
    stream = load_stream("a: 1\nlist:\n  - name: api\n    image: x\n  - plain\n")
    data = stream.documents[0].data
    assert data.kpos["a"] == (1, 1, 2)
    assert data.kpos["list"][:2] == (2, 1)
    assert data["list"].ipos == [(3, 5), (5, 5)]
    assert data["list"][0].kpos["name"][:2] == (3, 5)


def test_scalars_resolve_like_kubernetes_reader():
    data = load_stream("i: 3\nf: 1.5\nb: true\nyes_: yes\nn: ~\ns: '3'\noct: 0755\nhex: 0x1F\neq: =\nv: v1\n"
                       ).documents[0].data
    assert data == {"i": 3, "f": 1.5, "b": True, "yes_": True, "n": None, "s": "3", "oct": 493, "hex": 31,
                    "eq": "=", "v": "v1"}


def test_keys_stay_text():
    data = load_stream("on: push\ny: 1\n200: ok\n").documents[0].data
    assert list(data) == ["on", "y", "200"]


def test_multi_document_stream_with_sources_and_empty_documents():
    text = "---\n# Source: chart/templates/a.yaml\nkind: A\n---\n---\n# Source: chart/templates/b.yaml\nkind: B\n"
    docs = [d for d in load_stream(text).documents if d.data is not None]
    assert [(d.data["kind"], d.source) for d in docs] == [("A", "chart/templates/a.yaml"),
                                                          ("B", "chart/templates/b.yaml")]


def test_crlf_and_bom_keep_positions():
    text, problem = decode(b"\xef\xbb\xbfkind: A\r\nmetadata:\r\n  name: x\r\n")
    assert problem is None
    data = load_stream(text).documents[0].data
    assert data["metadata"].kpos["name"][:2] == (3, 3)


def test_trailing_tabs_are_whitespace():
    stream = load_stream("kind: Service\t\nmetadata:\t\n  name: a\t\n")
    assert stream.issues == []
    assert stream.documents[0].data["metadata"]["name"] == "a"


def test_duplicate_keys_are_reported_and_the_last_wins():
    stream = load_stream("a: 1\nb: 2\na: 3\n")
    assert stream.documents[0].data["a"] == 3
    [issue] = stream.issues
    assert (issue.line, issue.col, issue.fatal) == (3, 1, False)
    assert "duplicate mapping key 'a' (first at line 1)" in issue.message


def test_unknown_tags_are_never_constructed():
    data = load_stream("x: !!python/object/apply:os.system [echo hi]\ny: !Ref name\n").documents[0].data
    assert data == {"x": ["echo hi"], "y": "name"}


def test_aliases_share_instead_of_copying_and_merge_keys_work():
    data = load_stream("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nalias: *b\n").documents[0].data
    assert data["m"] == {"y": 3, "x": 1}
    assert data["alias"] is data["base"]


def test_small_alias_trees_are_shared_not_copied():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 4)]
    data = load_stream("\n".join(lines) + "\n").documents[0].data
    assert len(data["a3"]) == 10 and data["a3"][0] is data["a2"]


def test_billion_laughs_stops_at_the_alias_budget():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    stream = load_stream("\n".join(lines) + "\n")
    [issue] = stream.issues
    assert issue.fatal and (issue.line, issue.col) == (5, 45)
    assert "aliases expand to more than 100,000 nodes" in issue.message


def test_nesting_and_cyclic_aliases_stop_with_a_position():
    deep = load_stream("a: " + "[" * 5000 + "]" * 5000 + "\n").issues
    assert [(i.line, i.col, i.fatal) for i in deep] == [(1, 203, True)]
    assert "nesting deeper than 200 levels" in deep[0].message
    cyclic = load_stream("a: &a {b: *a}\n").issues
    assert "refers to the node that contains it" in cyclic[0].message


def test_parse_error_has_position():
    stream = load_stream("a: b\n  c: d\n")
    [issue] = stream.issues
    assert (issue.line, issue.col, issue.fatal) == (2, 4, True)


def test_unquoted_template_placeholder_is_detected():
    stream = load_stream("metadata:\n  annotations:\n    x: {{args.flag}}\n")
    assert stream.placeholder_line == 3
    assert stream.documents[0].data["metadata"]["annotations"]["x"] == "{{args.flag}}"


def test_decode_reports_binary_and_bad_utf8_positions():
    assert decode(b"a\0b")[1].message.startswith("binary file")
    text, problem = decode(b"a: 1\nb: \xff\n")
    assert text is None and (problem.line, problem.col) == (2, 4)


@needs_shared()
def test_every_rendered_corpus_manifest_loads():
    """Real manifests, YAML 1.1 leftovers included, load without a fatal issue."""
    failures = []
    for path in sorted(CORPUS.rglob("*.y*ml")):
        rel = path.relative_to(CORPUS).as_posix()
        text = path.read_text(encoding="utf-8")
        if "/templates/" in "/" + rel or "{{" in text and "declarative-apps" in rel:
            continue
        stream = load_stream(text)
        if any(i.fatal for i in stream.issues):
            failures.append((rel, stream.issues[0]))
    assert failures == []


@needs_shared()
def test_bare_equals_enum_in_a_real_crd():
    path = CORPUS / "kube-prometheus/manifests/setup/0alertmanagerConfigCustomResourceDefinition.yaml"
    docs = load_stream(path.read_text(encoding="utf-8")).documents
    assert isinstance(docs[0].data, YMap) and docs[0].data["kind"] == "CustomResourceDefinition"
    assert "=" in path.read_text(encoding="utf-8")


def test_an_error_at_the_end_of_the_stream_points_at_the_last_line():
    assert [(i.line, i.col) for i in load_stream("a: 1\nb: [\n").issues] == [(2, 5)]
    assert [(i.line, i.col) for i in load_stream("b: [\n", clamp=False).issues] == [(2, 1)]  # front matter


def test_colon_inside_a_flow_scalar_loads_as_kubernetes_reads_it():
    """go-yaml accepts `[--url=https://x]`; the bundled libyaml does not, so the loader retries with ruamel's parser."""
    stream = load_stream("args: [--url=https://x/y, -v]\nenv: {URL: http://x}\nreplicas: 3\t\n")
    assert stream.issues == []
    [doc] = stream.documents
    assert doc.data == {"args": ["--url=https://x/y", "-v"], "env": {"URL": "http://x"}, "replicas": 3}
    assert doc.data.kpos["replicas"][:2] == (3, 1)
    assert doc.data["args"].ipos[0] == (1, 8)
