"""`# Source:` paths resolve to the chart's own template files: top chart, vendored and file:// subcharts."""
from __future__ import annotations

import shutil

from readylint.helm.sources import ChartIndex
from tests.helm_support import SHOP, copy_shop


def _index(root, files=None):
    files = files if files is not None else [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return ChartIndex(str(root), files)


def test_a_top_level_template_resolves_through_the_chart_name():
    template = _index(SHOP).resolve("shop/templates/deployment.yaml", near="deploy/prod.yaml")
    assert template.path == "charts/shop/templates/deployment.yaml"
    assert template.scopes == (("charts/shop", ""),)


def test_a_vendored_subchart_template_and_whose_values_reach_it():
    template = _index(SHOP).resolve("shop/charts/worker/templates/deployment.yaml")
    assert template.path == "charts/shop/charts/worker/templates/deployment.yaml"
    # the subchart's own values, then the parent's under `worker.` (which win)
    assert template.scopes == (("charts/shop/charts/worker", ""), ("charts/shop", "worker."))


def test_a_file_dependency_resolves_to_its_local_folder():
    template = _index(SHOP).resolve("shop/charts/cache/templates/statefulset.yaml")
    assert template.path == "charts/cache/templates/statefulset.yaml"


def test_the_input_chart_directory_wins_over_the_name(tmp_path):
    copy_shop(tmp_path)
    shutil.copytree(tmp_path / "charts" / "shop", tmp_path / "other" / "shop-copy")
    index = _index(tmp_path)
    assert index.resolve("shop/templates/service.yaml", chart_dir="other/shop-copy").path == \
        "other/shop-copy/templates/service.yaml"


def test_two_charts_of_one_name_resolve_to_the_nearest_and_a_tie_to_none(tmp_path):
    for place in ("team-a/chart", "team-b/chart"):
        shutil.copytree(SHOP / "charts" / "shop", tmp_path / place, ignore=shutil.ignore_patterns("charts"))
    index = _index(tmp_path)
    assert index.resolve("shop/templates/service.yaml", near="team-b/rendered/prod.yaml").path == \
        "team-b/chart/templates/service.yaml"
    assert index.resolve("shop/templates/service.yaml", near="deploy/prod.yaml") is None


def test_unknown_charts_and_missing_templates_do_not_resolve():
    index = _index(SHOP)
    assert index.resolve("payments/templates/deployment.yaml") is None
    assert index.resolve("shop/templates/ingress.yaml") is None
    assert index.resolve("shop/charts/absent/templates/a.yaml") is None


def test_names_outside_the_listed_files_are_found_by_listing_the_repository():
    listed = []
    index = ChartIndex(str(SHOP), [], list_all=lambda: listed.append(1) or ["charts/shop/Chart.yaml"])
    assert index.resolve("shop/templates/service.yaml").path == "charts/shop/templates/service.yaml"
    assert listed == [1]


def test_an_aliased_vendored_subchart_resolves_through_its_alias(tmp_path):
    copy_shop(tmp_path)
    chart = tmp_path / "charts" / "shop" / "Chart.yaml"
    chart.write_text(chart.read_text().replace("  - name: worker\n", "  - name: worker\n    alias: jobs\n"))
    template = _index(tmp_path).resolve("shop/charts/jobs/templates/deployment.yaml")
    assert template.path == "charts/shop/charts/worker/templates/deployment.yaml"
    assert template.scopes == (("charts/shop/charts/worker", ""), ("charts/shop", "jobs."))
