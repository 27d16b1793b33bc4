"""The documentation model: outlines with lines, anchors, links, facts, and requirements evaluated as data."""
from __future__ import annotations

import datetime as dt

import pytest

from readylint.inputs.markup import parse
from readylint.model.doc_requirements import DocRequirement, evaluate, judge
from readylint.model.docs import docs
from readylint.model.dr import cron_interval
from readylint.model.facts import find_facts, parse_duration, parse_percent
from readylint.model.index import RepoIndex

MARKDOWN = """---
last_reviewed: 2026-01-15
owner: shop-team
---
# Shop runbook

See [deploy](docs/deploy.md#Rolling-Out) and [below](#diagnosis).

## Meaning

```bash
# not a heading
```

Diagnosis
---------

Check the pods. TODO write more.

## Meaning
"""


def test_markdown_outline_front_matter_links_and_fences():
    doc = parse("RUNBOOK.md", MARKDOWN)
    assert [(h.level, h.text, h.line, h.anchor) for h in doc.headings] == [
        (1, "Shop runbook", 5, "shop-runbook"), (2, "Meaning", 9, "meaning"), (2, "Diagnosis", 15, "diagnosis"),
        (2, "Meaning", 20, "meaning-1")]
    assert doc.front_matter == {"last_reviewed": "2026-01-15", "owner": "shop-team"}
    assert doc.front_matter_lines == {"last_reviewed": 2, "owner": 3}
    assert [(link.target, link.line, link.col) for link in doc.links] == [
        ("docs/deploy.md#Rolling-Out", 7, 14), ("#diagnosis", 7, 54)]
    assert [(f.lang, f.start, f.end) for f in doc.fences] == [("bash", 12, 12)]
    diagnosis = doc.sections[2]
    assert (diagnosis.start, diagnosis.end, diagnosis.words) == (17, 19, 5)  # TODO is not a word


def test_github_slugs_keep_unicode_and_drop_punctuation():
    doc = parse("a.md", "# Rollback: `helm` & Argo CD!\n\n## Über uns\n")
    assert [h.anchor for h in doc.headings] == ["rollback-helm--argo-cd", "über-uns"]


def test_restructuredtext_and_asciidoc_outlines():
    rst = parse("docs/dr.rst", "=====\nTitle\n=====\n\n:last_reviewed: 2025-02-01\n\nFailover\n--------\n\n"
                               "See `plan <plan.rst>`_.\n\n.. _promote-replica:\n")
    assert [(h.level, h.text, h.line) for h in rst.headings] == [(1, "Title", 2), (2, "Failover", 7)]
    assert rst.front_matter == {"last_reviewed": "2025-02-01"}
    assert [link.target for link in rst.links] == ["plan.rst"] and "promote-replica" in rst.anchors
    adoc = parse("docs/deploy.adoc", "= Deploy\n:last_reviewed: 2025-03-01\n\n== Rolling back\n[[undo]]\n"
                                     "See xref:dr.adoc#failover[DR] and <<undo>>.\n----\n== not a title\n----\n")
    assert [(h.level, h.text, h.line, h.anchor) for h in adoc.headings] == [
        (1, "Deploy", 1, "_deploy"), (2, "Rolling back", 4, "_rolling_back")]
    assert adoc.front_matter_lines == {"last_reviewed": 2}
    assert [link.target for link in adoc.links] == ["dr.adoc#failover", "undo"]


@pytest.mark.parametrize(("text", "minutes"), [
    ("15m", 15), ("1h30m", 90), ("PT4H", 240), ("daily", 1440), ("2 hours", 120), ("four hours", 240),
    ("within 30 secs", 0.5), ("as small as possible", None), ("a day", 1440), (45, 45)])
def test_durations(text, minutes):
    assert parse_duration(text) == minutes


def test_facts_front_matter_first_then_prose_with_lines():
    doc = parse("docs/dr-plan.md", "---\nrpo_minutes: 15\n---\n# Plan\n\nThe **RTO**: 4 hours for orders.\n"
                                   "Availability SLA: 99.95% per calendar month.\nRTO is aspirational.\n")
    assert [(f.value, f.line, f.source) for f in find_facts(doc, "rpo")] == [(15.0, 2, "front-matter")]
    assert [(f.value, f.line) for f in find_facts(doc, "rto")] == [(240.0, 6)]
    assert [(f.value, f.line) for f in find_facts(doc, "rto", unparsed=True)] == [(240.0, 6), (None, 8)]
    assert [f.value for f in find_facts(doc, "sla")] == [99.95]
    assert parse_percent("99.9 %") == 99.9


def test_cron_intervals_for_backup_schedules():
    assert cron_interval("0 2 * * *") == 1440
    assert cron_interval("*/15 * * * *") == 15
    assert cron_interval("0 0 0 * * *", seconds=True) == 1440  # CloudNativePG six-field cron
    assert cron_interval("@every 6h") == 360
    assert cron_interval("not a cron") is None


def _index(tmp_path, files: dict, today=dt.date(2026, 11, 29)) -> RepoIndex:
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return RepoIndex([], str(tmp_path), sorted(files), {"today": today})


def test_links_resolve_to_files_and_anchors_case_sensitively(tmp_path):
    index = _index(tmp_path, {
        "README.md": "# x\n\n[a](docs/Deploy.md) [b](docs/deploy.md#rolling-out) [c](docs/deploy.md#nope) "
                     "[d](docs/) [e](https://example.com/x) [f](#x)\n",
        "docs/deploy.md": "# Deploy\n\n## Rolling out\n"})
    docset = docs(index)
    readme = docset.get("README.md")
    assert [(link.target, why) for link, why in docset.broken_links(readme)] == [
        ("docs/Deploy.md", "docs/Deploy.md does not exist (docs/deploy.md differs in case; links are "
                           "case-sensitive on GitHub)"),
        ("docs/deploy.md#nope", "docs/deploy.md has no heading or anchor #nope")]


def test_techdocs_nav_makes_documents_searchable(tmp_path):
    index = _index(tmp_path, {"mkdocs.yml": "site_name: shop\ndocs_dir: handbook\nnav:\n  - Ops: {Deploy: ops.md}\n",
                              "handbook/ops.md": "# Ops\n", "src/notes.md": "# not docs\n"})
    assert docs(index).searchable == ["handbook/ops.md"]


def test_a_requirement_declared_as_data_is_judged(tmp_path):
    requirement = DocRequirement.from_mapping({
        "name": "capacity plan", "paths": ["docs/capacity*.md"], "headings": ["capacity"],
        "sections": ["Peak load", {"name": "Headroom", "patterns": ["headroom|buffer"]}],
        "facts": ["sla"], "max_age_days": 90}, {"doc_section_min_words": 3})
    index = _index(tmp_path, {"README.md": "# shop\n\n## Capacity\n\n### Peak load\n\nTwo thousand orders a minute.\n"
                                           "\n### Buffer\n\nTBD\n"})
    match = evaluate(index, requirement)
    assert match.where == "README.md section 'Capacity'"
    subject = index.repo.subject("capacity", "capacity plan")
    outcomes = list(judge(index, requirement, subject, match))
    assert [(o.status, o.finding.message if o.finding else o.reason) for o in outcomes] == [
        ("fail", "The capacity plan in README.md section 'Capacity' has stub sections Headroom (under 3 words "
                 "each); add a heading for each with real content."),
        ("fail", "The capacity plan in README.md section 'Capacity' states no SLA; state it (e.g. front matter "
                 "sla)."),
        ("not-applicable", "evidence-unavailable")]
    with pytest.raises(ValueError, match="unknown fact 'uptime'"):
        DocRequirement.from_mapping({"name": "x", "facts": ["uptime"]})


def test_missing_document_points_at_the_readme(tmp_path):
    requirement = DocRequirement("SLA document", paths=("SLA.md", "docs/sla*.md"), fix="Add SLA.md.")
    index = _index(tmp_path, {"README.md": "# shop\n"})
    [outcome] = judge(index, requirement, index.repo.subject("sla", "SLA"))
    assert (outcome.finding.at.path, outcome.finding.at.line, outcome.finding.message) == (
        "README.md", 1, "No SLA document found in the repository. Add SLA.md.")


def test_markdown_comments_suppress_doc_findings(tmp_path):
    from .helpers import lint

    (tmp_path / "README.md").write_text("<!-- readylint: ignore[DOC006] the platform team owns rollbacks -->\n"
                                        "# shop\n", encoding="utf-8")
    report = lint(tmp_path, select=["DOC006"])
    [finding] = report.findings
    assert finding.code == "DOC006" and finding.suppressed_by.reason == "the platform team owns rollbacks"
    assert report.active == []


def test_the_config_schema_describes_the_requirement_shape():
    import json

    from jsonschema import Draft202012Validator

    from .conftest import REPO

    schema = json.loads((REPO / "schemas" / "readylint-config.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/documentRequirement"})
    data = {"name": "capacity plan", "paths": ["docs/capacity*.md"], "exclude_paths": ["docs/old/**"],
            "sections": ["Peak load", {"name": "Headroom", "patterns": ["headroom"]}], "facts": ["sla"],
            "max_age_days": 90}
    assert list(validator.iter_errors(data)) == []
    assert DocRequirement.from_mapping(data).exclude_paths == ("docs/old/**",)
    assert list(validator.iter_errors({"name": "x", "facts": ["uptime"]}))


def test_corpus_kube_prometheus_alerts_against_the_prometheus_operator_runbooks(tmp_path):
    """The 125 distinct runbook URLs of kube-prometheus: 26 name no runbook in the runbooks snapshot."""
    import shutil

    from .conftest import CORPUS
    from .helpers import lint

    if not (CORPUS / "runbooks").is_dir():
        pytest.skip(f"{CORPUS} is absent")
    for rules in (CORPUS / "kube-prometheus" / "manifests").glob("*prometheusRule.yaml"):
        shutil.copy(rules, tmp_path / rules.name)
    shutil.copytree(CORPUS / "runbooks" / "content", tmp_path / "content")
    (tmp_path / "README.md").write_text("# monitoring\n", encoding="utf-8")
    (tmp_path / ".readylint.yaml").write_text(
        "platform:\n  runbooks_base_url: https://runbooks.prometheus-operator.dev/runbooks/\n", encoding="utf-8")
    findings = lint(tmp_path, select=["DOC002"]).active
    broken = [f for f in findings if "is broken" in f.message]
    assert len(broken) == 24  # 23 of the 26 dangling URLs are on warning+ alerts, one on two alerts
    assert any(f.message.startswith("The runbook link of alert KubeDeploymentRolloutStuck") for f in broken)
    lacking = [f for f in findings if f.location.path.startswith("content/")]
    assert len(lacking) == 93 and all("Escalation" in f.message or "stub" in f.message for f in lacking)


def test_malformed_front_matter_is_rl001_at_its_line(tmp_path):
    from .helpers import lint

    (tmp_path / "README.md").write_text("# shop\n", encoding="utf-8")
    (tmp_path / "INCIDENT_RESPONSE.md").write_text("---\nlast_reviewed: [2024\n---\n# Incident response\n",
                                                   encoding="utf-8")
    [problem] = [f for f in lint(tmp_path, select=["DOC004"]).active if f.code == "RL001"]
    assert (problem.location.path, problem.location.line) == ("INCIDENT_RESPONSE.md", 3)
    assert problem.message.startswith("invalid front matter in INCIDENT_RESPONSE.md: ")
