"""The Prometheus rules every project gets: valid, tested by promtool, and built from the answers.

Renders a few answer sets and runs `promtool check rules` and `promtool test rules` on each (the
generated unit tests prove every alert fires when it should and stays quiet otherwise), then
reads the rules: the objectives, the labels, the runbook links and the job selector come from
the answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import NON_DEFAULT_ANSWERS, generate_with_answers, requires_promtool, run

#: Default answers, a remote classifier, a generator, every answer changed, and an objective
#: too loose for the 14.4x tier with a whole number of seconds as the latency target.
ANSWER_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "classification-openai": {"serving": "api_provider", "provider": "openai"},
    "generation": {"task": "generation"},
    "non-default": NON_DEFAULT_ANSWERS,
    "loose-objectives": {"availability_slo": 92.0, "latency_slo_ms": 1000},
}
#: The multi-window tiers: long window, short window, burn factor, whether it pages.
TIERS: list[tuple[str, str, float, bool]] = [
    ("1h", "5m", 14.4, True),
    ("6h", "30m", 6, True),
    ("1d", "2h", 3, False),
    ("3d", "6h", 1, False),
]


@pytest.fixture(scope="module", params=list(ANSWER_SETS), ids=list(ANSWER_SETS))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    return generate_with_answers(
        tmp_path_factory.mktemp("rules") / "project", ANSWER_SETS[request.param]
    )


def _rules(root: Path, name: str) -> list[dict[str, Any]]:
    document = yaml.safe_load((root / "ops" / "prometheus" / name).read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


@requires_promtool
def test_promtool_checks_the_rules_and_passes_their_unit_tests(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = project
    rule_files = sorted(str(path) for path in (root / "ops" / "prometheus").glob("*_rules.yml"))
    unit_tests = sorted(str(path) for path in (root / "ops" / "prometheus" / "tests").glob("*.yml"))

    assert len(rule_files) == 2
    assert len(unit_tests) >= 5
    checked = run(["promtool", "check", "rules", *rule_files], root)
    assert "FAILED" not in checked.stdout + checked.stderr
    run(["promtool", "test", "rules", *unit_tests], root)


def test_error_alerts_burn_the_budget_of_the_availability_objective(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = project
    budget = round(1 - answers["availability_slo"] / 100, 7)
    alerts = [a for a in _rules(root, "alert_rules.yml") if a["alert"] == "PredictErrorBudgetBurn"]
    # Above 1/14.4 the error ratio would have to exceed 100%: no fast tier.
    expected = [tier for tier in TIERS if tier[2] * budget < 1]

    assert [(a["labels"]["long"], a["labels"]["short"]) for a in alerts] == [
        (long, short) for long, short, _, _ in expected
    ]
    for alert, (long, short, factor, pages) in zip(alerts, expected, strict=True):
        threshold = f"({factor} * {budget!r})"
        assert f"job:predict_errors:ratio_rate{long} > {threshold}" in alert["expr"]
        assert f"job:predict_errors:ratio_rate{short} > {threshold}" in alert["expr"]
        severity = answers["alert_severity_page" if pages else "alert_severity_ticket"]
        assert alert["labels"]["severity"] == severity


def test_latency_alerts_read_the_bucket_at_the_latency_objective(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = project
    # The Python client writes a bucket bound as Python prints the float: 0.3, 0.08, 1.0.
    le = repr(answers["latency_slo_ms"] / 1000)
    slow = [r for r in _rules(root, "recording_rules.yml") if "slow_requests" in r["record"]]
    selectors = [re.search(r'le=~?"([^"]+)"', rule["expr"]) for rule in slow]
    alerts = [
        a for a in _rules(root, "alert_rules.yml") if a["alert"] == "PredictLatencyBudgetBurn"
    ]

    assert len(slow) == 7
    assert all(match and re.fullmatch(match.group(1), le) for match in selectors), selectors
    assert [(a["labels"]["long"], a["labels"]["short"]) for a in alerts] == [
        (long, short) for long, short, _, _ in TIERS
    ]
    assert all(" * 0.01)" in alert["expr"] for alert in alerts)


def test_every_alert_is_labelled_and_links_its_runbook(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = project
    alerts = _rules(root, "alert_rules.yml")
    severities = {answers["alert_severity_page"], answers["alert_severity_ticket"]}

    assert {alert["labels"]["severity"] for alert in alerts} == severities
    assert {alert["labels"]["team"] for alert in alerts} == {answers["alert_team"]}
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert url.startswith(answers["runbook_base_url"] + "/"), url
        runbook = root / "docs" / "runbooks" / url.rsplit("/", 1)[1]
        assert runbook.is_file(), url
        assert runbook.read_text().startswith(f"# {alert['alert']}\n")


def test_only_the_alerts_of_the_chosen_strategy_and_task(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = project
    names = {alert["alert"] for alert in _rules(root, "alert_rules.yml")}
    remote = answers["serving"] != "in_process"
    classification = answers["task"] == "classification"

    assert ("CircuitBreakerOpen" in names) == remote
    assert ("LowConfidenceSpike" in names) == classification
    assert (root / "docs" / "runbooks" / "circuit-breaker-open.md").exists() == remote
    assert (root / "docs" / "runbooks" / "low-confidence-spike.md").exists() == classification
    assert (root / "ops" / "prometheus" / "tests" / "low_confidence.yml").exists() == (
        classification
    )


def test_every_selector_is_scoped_to_the_service_job(
    project: tuple[Path, dict[str, Any]],
) -> None:
    """Several services share a Prometheus: no rule may read another service's series."""
    root, answers = project
    job = f'job="{answers["prometheus_job"]}"'
    rules = _rules(root, "recording_rules.yml") + _rules(root, "alert_rules.yml")
    selectors = [
        (rule.get("record") or rule.get("alert"), match.group(0))
        for rule in rules
        for match in re.finditer(r"[a-z_:]+\{[^}]*\}", rule["expr"])
    ]

    assert selectors
    assert [(name, selector) for name, selector in selectors if job not in selector] == []
