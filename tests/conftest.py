"""Fixtures shared by the template's test tiers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import generate


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated with every default answer, shared by read-only tests."""
    return generate(tmp_path_factory.mktemp("default") / "project")


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Caches shared by the projects one test process builds (TEMPLATE_TEST_CACHE to keep them)."""
    configured = os.environ.get("TEMPLATE_TEST_CACHE")
    return Path(configured) if configured else tmp_path_factory.mktemp("cache")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Builds first. Each takes minutes; xdist's work stealing (pyproject.toml) hands a worker
    that runs out the end of the other's queue, so the quick tests fill the gaps and the
    builds are shared out, rather than one worker ending on a lone build."""
    items.sort(key=lambda item: item.get_closest_marker("build") is None)
