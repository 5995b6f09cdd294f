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


#: Questions asked only for some answers, with the answers that make them asked.
CONTEXT: dict[str, dict[str, Any]] = {
    "inference_protocol": {"serving": "inference_server"},
    "provider": {"serving": "api_provider"},
    "platform": {"serving": "managed_endpoint"},
    "trace_sample_ratio": {"tracing": True},
    # GDPR needs personal data; the baseline has it too, so only the regimes differ.
    "compliance": {"personal_data": True},
    # Keep the other derived default fixed.
    "latency_slo_ms": {"request_timeout_ms": 1000},
}


@pytest.mark.parametrize("key", ASKED)
def test_each_answer_changes_the_output(
    key: str, default_snapshot: dict[str, str], tmp_path: Path
) -> None:
    context = CONTEXT.get(key, {})
    baseline = (
        _snapshot(generate(tmp_path / "baseline", context))
        if context.keys() & {"serving", "tracing", "personal_data"}
        else default_snapshot
    )
    changed = _snapshot(generate(tmp_path / "project", {**context, key: NON_DEFAULT_ANSWERS[key]}))

    assert changed != baseline, f"answering {key} differently changed nothing"


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
    ("data_sources", [], "Pick at least one data source"),
    ("compliance", [], "Pick at least one: none, or every regime"),
    ("compliance", ["none", "soc2"], "answer none alone, or drop none and keep soc2"),
    ("compliance", ["gdpr"], "answer personal_data: true, or drop gdpr"),
    ("compliance", ["soc2", "hipaa"], "answer personal_data: true, or drop hipaa"),
    ("quality_min", 1.5, "between 0 and 1"),
    ("quality_slice", "Region Name", "lowercase letters, digits and underscores"),
    ("max_metric_drop", -0.01, "between 0 and 1"),
    ("rollout_steps", "5, 25, 50", "end at 100"),
    ("rollout_steps", "25, 5, 100", "rise strictly"),
    ("rollout_steps", "0, 100", "at least 1"),
    ("rollout_steps", "5, 5, 100", "rise strictly"),
    ("rollout_steps", "five, 100", "whole percentages"),
    ("abort_error_rate", 2, "between 0 and 1"),
    ("abort_p99_ratio", 0.5, "at least 1"),
    ("availability_slo", 89.9, "between 90 and 99.99"),
    ("availability_slo", 100, "between 90 and 99.99"),
    ("prometheus_job", "my service", "at most 63 letters, digits"),
    ("prometheus_job", 'a"b', "at most 63 letters, digits"),
    ("alert_team", "ML Platform", "lowercase letters, digits, hyphens or underscores"),
    ("alert_team", "", "lowercase letters, digits, hyphens or underscores"),
    ("alert_severity_page", "Critical", "lowercase letters, digits, hyphens or underscores"),
    ("alert_severity_ticket", "warn ing", "lowercase letters, digits, hyphens or underscores"),
    ("alert_severity_ticket", "critical", "must differ from the paging severity"),
    ("runbook_base_url", "https://wiki.example.com/runbooks/", "without spaces, quotes"),
    ("runbook_base_url", "docs/run books", "without spaces, quotes"),
    ("runbook_base_url", "https://wiki.example.com/page?id=1", "without spaces, quotes"),
    ("container_registry", "ghcr.io/acme/churn:latest", "without a tag or digest"),
    ("container_registry", "Registry.example.com/Churn", "without a tag or digest"),
    ("container_registry", "churn-predictor", "without a tag or digest"),
    ("staging_environment", "Staging", "lowercase letters, digits or hyphens"),
    ("production_environment", "", "lowercase letters, digits or hyphens"),
    ("production_environment", "staging", "must differ from the staging one"),
]

#: Pairs of answers that make no sense together, refused with the reason and a way out.
NONSENSE = [
    ({"task": "generation", "serving": "in_process"}, "choose inference_server, api_provider"),
    (
        {"task": "generation", "serving": "inference_server", "inference_protocol": "kserve_v2"},
        "choose openai",
    ),
    ({"tracing": True, "trace_sample_ratio": 1.5}, "between 0 and 1"),
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
    ("data", "message"), NONSENSE, ids=["generation-in-process", "kserve-text", "sample-ratio"]
)
def test_combinations_that_make_no_sense_are_refused(
    data: dict[str, object], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        generate(tmp_path / "project", data)
    assert not (tmp_path / "project" / "pyproject.toml").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("license", "GPL-3.0"),
        ("python_version", "3.9"),
        ("fallback", "retry"),
        ("task", "ranking"),
        ("serving", "edge_device"),
        ("inference_protocol", "grpc"),
        ("provider", "cohere"),
        ("platform", "gke"),
        ("pipeline_engine", "flink"),
        ("data_sources", ["local_files", "mysql"]),
        ("compliance", ["none", "iso27001"]),
        ("model_registry", "sagemaker"),
        ("quality_metric", "precision"),
        ("deploy_target", "nomad"),
    ],
)
def test_answers_outside_the_choices_are_refused(key: str, value: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Invalid choice"):
        generate(tmp_path / "project", {**CONTEXT.get(key, {}), key: value})


def test_every_sensible_task_and_serving_pair_works_with_defaults(tmp_path: Path) -> None:
    """Sub-question defaults follow the task: generation on a server speaks OpenAI's protocol."""
    for task in ("classification", "generation"):
        for serving in ("inference_server", "api_provider", "managed_endpoint"):
            root = generate(tmp_path / f"{task}-{serving}", {"task": task, "serving": serving})
            answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
            assert answers["task"] == task
    server = yaml.safe_load(
        (tmp_path / "generation-inference_server" / ".copier-answers.yml").read_text()
    )
    assert server["inference_protocol"] == "openai"


def test_a_copy_needs_no_trust() -> None:
    """Tasks and Jinja extensions make Copier demand --trust; the template uses neither."""
    assert "_tasks" not in QUESTIONS
    assert "_jinja_extensions" not in QUESTIONS


def test_minimum_copier_version_is_the_one_tested() -> None:
    assert Version(QUESTIONS["_min_copier_version"]) <= Version(
        importlib.metadata.version("copier")
    )
