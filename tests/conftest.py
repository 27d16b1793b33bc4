"""Shared test helpers: where the fixtures and the shared corpus live, and the snapshot switch."""
from __future__ import annotations

import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS_REF = SHARED / "schemas-ref"


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true",
                     help="rewrite expected.txt snapshots from the current findings (review the diff)")


@pytest.fixture
def update_snapshots(request):
    return request.config.getoption("--update-snapshots")


def needs_shared(path: pathlib.Path = SHARED):
    """Skip a test with a clear reason when ../shared is absent (a fresh clone outside CI)."""
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is absent: the shared corpus and schemas "
                                                        "live beside the checkout (CI always has them)")


@pytest.fixture(autouse=True)
def _no_colour_env(monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield
