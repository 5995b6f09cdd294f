"""Fixtures shared by the template's test tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import generate


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated with every default answer, shared by read-only tests."""
    return generate(tmp_path_factory.mktemp("default") / "project")
