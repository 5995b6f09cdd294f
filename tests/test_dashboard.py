"""The Grafana dashboard and the local stack every project gets, built from the answers.

Renders a few answer sets and reads ops/grafana/, ops/prometheus/prometheus.yml and
docker-compose.yml: the objectives drawn on the panels, the job, the panels each task and
serving strategy has, and the collector only with tracing. The generated tests
(tests/test_dashboard.py, tests/test_compose.py) check the rest against the running service in
the build tier.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import NON_DEFAULT_ANSWERS, generate_with_answers, requires_promtool, run

#: Default answers, a classifier on an inference server, a generator, every answer changed,
#: and a whole number of seconds as the latency target with a loose objective.
ANSWER_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "classification-kserve": {"serving": "inference_server"},
    "generation": {"task": "generation"},
    "non-default": NON_DEFAULT_ANSWERS,
    "loose-objectives": {"availability_slo": 92.0, "latency_slo_ms": 1000},
}


@pytest.fixture(scope="module", params=list(ANSWER_SETS), ids=list(ANSWER_SETS))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    return generate_with_answers(
        tmp_path_factory.mktemp("dashboard") / "project", ANSWER_SETS[request.param]
    )


def _dashboard(root: Path, answers: dict[str, Any]) -> dict[str, Any]:
    path = root / "ops" / "grafana" / "dashboards" / f"{answers['project_slug']}.json"
    dashboard: dict[str, Any] = json.loads(path.read_text())
    return dashboard


def _panel(dashboard: dict[str, Any], title: str) -> dict[str, Any]:
    panels: list[dict[str, Any]] = dashboard["panels"]
    (panel,) = [panel for panel in panels if panel["title"] == title]
    return panel


def _thresholds(panel: dict[str, Any]) -> list[float]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [step["value"] for step in steps if step["value"] is not None]


def _queries(dashboard: dict[str, Any]) -> str:
    return "\n".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )


def test_the_panels_draw_the_objectives(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    dashboard = _dashboard(root, answers)
    budget = round(1 - answers["availability_slo"] / 100, 7)

    assert _thresholds(_panel(dashboard, "Prediction latency")) == [
        answers["latency_slo_ms"] / 1000
    ]
    assert _thresholds(_panel(dashboard, "Error ratio (5xx) against the objective")) == [budget]
    within = _panel(dashboard, f"Within {answers['latency_slo_ms']} ms (1h)")
    assert _thresholds(within) == [0.99]


def test_the_job_is_the_answer(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    dashboard = _dashboard(root, answers)
    (variable,) = dashboard["templating"]["list"]
    scrape = yaml.safe_load((root / "ops" / "prometheus" / "prometheus.yml").read_text())

    assert variable["name"] == "job"
    assert variable["current"]["value"] == answers["prometheus_job"]
    assert scrape["scrape_configs"][0]["job_name"] == answers["prometheus_job"]


def test_each_task_and_strategy_has_its_panels(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    queries = _queries(_dashboard(root, answers))
    classification = answers["task"] == "classification"
    remote = answers["serving"] != "in_process"

    assert ("prediction_confidence_bucket" in queries) is classification
    assert ("predicted_class_total" in queries) is classification
    # The OpenAI and Anthropic APIs report the tokens they read and write; other servers do not.
    language_model_api = answers["serving"] == "api_provider" or (
        answers["serving"] == "inference_server" and answers["inference_protocol"] == "openai"
    )
    assert ("llm_tokens_total" in queries) is language_model_api
    assert ("llm_cost_usd_total" in queries) is language_model_api
    assert ("circuit_breaker_state" in queries) is remote
    assert ("upstream_retries_total" in queries) is remote
    for batch in ("drift_score", "pipeline_records", "pipeline_last_success_timestamp_seconds"):
        assert batch in queries


def test_the_collector_comes_with_tracing(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    environment = compose["services"]["service"].get("environment", {})

    assert set(compose["services"]) >= {"service", "prometheus", "pushgateway", "grafana"}
    assert ("otel-collector" in compose["services"]) is answers["tracing"]
    assert ("OTEL_EXPORTER_OTLP_ENDPOINT" in environment) is answers["tracing"]
    assert (root / "ops" / "otel-collector.yaml").is_file() is answers["tracing"]


@requires_promtool
def test_promtool_checks_the_prometheus_configuration(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = project
    checked = run(["promtool", "check", "config", "ops/prometheus/prometheus.yml"], root)
    assert "SUCCESS: 2 rule files found" in checked.stdout
