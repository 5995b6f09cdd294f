"""Every question changes the generated project; bad answers are refused with a clear message."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version

from .helpers import NON_DEFAULT_ANSWERS, TEMPLATE_ROOT, generate, project_files

QUESTIONS: dict[str, Any] = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
ASKED = [
    key
    for key, spec in QUESTIONS.items()
    if not key.startswith("_") and not (isinstance(spec, dict) and spec.get("when") is False)
]


def _snapshot(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in project_files(root)
        if path.name != ".copier-answers.yml"
    }


@pytest.fixture(scope="module")
def default_snapshot(default_project: Path) -> dict[str, str]:
    return _snapshot(default_project)


def test_every_question_has_help_type_and_default() -> None:
    for key in ASKED:
        spec = QUESTIONS[key]
        assert spec.get("type"), key
        assert len(spec.get("help", "")) > 20, key
        assert "default" in spec, key


def test_every_asked_question_is_covered_by_the_non_default_answers() -> None:
    assert set(NON_DEFAULT_ANSWERS) == set(ASKED)


@pytest.mark.parametrize("key", ASKED)
def test_each_answer_changes_the_output(
    key: str, default_snapshot: dict[str, str], tmp_path: Path
) -> None:
    data = {key: NON_DEFAULT_ANSWERS[key]}
    if key == "latency_slo_ms":
        data["request_timeout_ms"] = 1000  # keep the other derived default fixed
    changed = _snapshot(generate(tmp_path / "project", data))

    assert changed != default_snapshot, f"answering {key} differently changed nothing"


INVALID_ANSWERS = [
    ("project_name", "9 Lives", "must start with a letter"),
    ("project_name", "", "must start with a letter"),
    ("project_name", "x" * 65, "at most 64"),
    ("project_slug", "My Service", "lowercase letters and digits separated by single hyphens"),
    ("project_slug", "service--api", "single hyphens"),
    ("project_slug", "a" * 33, "at most 32 characters"),
    ("package_name", "my-service", "valid Python identifier"),
    ("package_name", "2fast", "valid Python identifier"),
    ("package_name", "typing", "would shadow a module"),
    ("package_name", "b" * 33, "at most 32 characters"),
    ("description", "   ", "must not be empty"),
    ("description", "x" * 201, "at most 200 characters"),
    ("description", 'Says "hi"', "without double quotes"),
    ("author_name", "", "must not be empty"),
    ("author_email", "not-an-email", "must look like name@example.com"),
    ("author_email", "a@b", "must look like name@example.com"),
    ("latency_slo_ms", 0, "between 1 and 60000"),
    ("expected_rps", 0, "between 1 and 100000"),
    ("request_timeout_ms", 10, "must be at least the latency target"),
    ("request_timeout_ms", 300_001, "at most 300000"),
    ("confidence_threshold", 1.0, "at least 0 and below 1"),
    ("confidence_threshold", -0.1, "at least 0 and below 1"),
]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    INVALID_ANSWERS,
    ids=[f"{key}-{index}" for index, (key, _, _) in enumerate(INVALID_ANSWERS)],
)
def test_invalid_answers_are_refused_with_a_message(
    key: str, value: object, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        generate(tmp_path / "project", {key: value})
    assert not (tmp_path / "project" / "pyproject.toml").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("license", "GPL-3.0"),
        ("python_version", "3.9"),
        ("fallback", "retry"),
        ("serving", "api_provider"),
    ],
)
def test_answers_outside_the_choices_are_refused(key: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid choice"):
        generate(tmp_path / "project", {key: value})


def test_a_copy_needs_no_trust() -> None:
    """Tasks and Jinja extensions make Copier demand --trust; the template uses neither."""
    assert "_tasks" not in QUESTIONS
    assert "_jinja_extensions" not in QUESTIONS


def test_minimum_copier_version_is_the_one_tested() -> None:
    assert Version(QUESTIONS["_min_copier_version"]) <= Version(
        importlib.metadata.version("copier")
    )
