"""Tier 1: the decision records, capacity plan and launch plan are filled from the answers."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

from .helpers import NON_DEFAULT_ANSWERS, STRATEGIES, render_once
from .test_render import COMBINATIONS, JINJA_RESIDUE

#: The records, in the order of their index, and the answers each one decides: the chosen value
#: of each must be quoted as `key: value` under "Decision", and no other value of it.
DECISIONS: dict[str, tuple[str, ...]] = {
    "0001-serving-strategy.md": ("task", "serving", "fallback"),
    "0002-data-pipeline.md": ("pipeline_engine", "personal_data"),
    "0003-model-registry.md": ("model_registry",),
    "0004-observability.md": ("tracing",),
    "0005-ci-cd.md": ("ci_provider", "deploy_target", "production_approval", "api_auth"),
}
#: Every value each of those answers can take (sub-questions included).
CHOICES: dict[str, tuple[str, ...]] = {
    "task": ("classification", "generation"),
    "serving": ("in_process", "inference_server", "api_provider", "managed_endpoint"),
    "inference_protocol": ("kserve_v2", "openai"),
    "provider": ("openai", "anthropic"),
    "platform": ("sagemaker", "vertex_ai", "azure_ml"),
    "fallback": ("rules", "static", "abstain", "secondary"),
    "pipeline_engine": ("embedded", "spark"),
    "personal_data": ("true", "false"),
    "model_registry": ("local", "mlflow"),
    "quality_metric": ("roc_auc", "f1", "accuracy"),
    "tracing": ("true", "false"),
    "ci_provider": ("github", "gitlab"),
    "deploy_target": ("kubernetes", "none"),
    "production_approval": ("true", "false"),
    "api_auth": ("api_key", "none"),
}
SECTIONS = (
    "## Status",
    "## Context",
    "## Decision",
    "## Alternatives considered",
    "## Consequences",
)
DOCS = [
    "docs/decisions/README.md",
    *(f"docs/decisions/{name}" for name in DECISIONS),
    "docs/capacity.md",
    "docs/launch-plan.md",
    "docs/readiness.md",
]
#: The only unfilled values allowed are `[to fill: <what>]`; anything else that reads like a
#: placeholder is a value the answers should have filled.
PLACEHOLDER = re.compile(
    r"\b(TODO|TBD|FIXME|XXX)\b|lorem ipsum|<your[ _-]|\byour-[a-z]+\b"
    r"|\[(to fill|placeholder|insert)(?!: [^\]]+\])",
    re.IGNORECASE,
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.fixture(
    scope="module",
    params=[*COMBINATIONS.items(), ("non-default", NON_DEFAULT_ANSWERS)],
    ids=[*COMBINATIONS, "non-default"],
)
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    key, data = request.param
    return render_once(key, data, tmp_path_factory)


def _section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    end = text.find("\n## ", start + len(heading))
    return text[start : end if end != -1 else None]


def _value(answer: object) -> str:
    return str(answer).lower() if isinstance(answer, bool) else str(answer)


def _decided(answers: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The answers a record decides, with the sub-question its serving answer asks."""
    sub = {
        "inference_server": "inference_protocol",
        "api_provider": "provider",
        "managed_endpoint": "platform",
    }
    decided = list(keys)
    if "serving" in keys and answers["serving"] in sub:
        decided.append(sub[answers["serving"]])
    if "model_registry" in keys and answers["task"] == "classification":
        decided.append("quality_metric")
    return decided


def test_strategies_are_all_covered() -> None:
    covered = {key.rsplit("-", 1)[0] for key in COMBINATIONS}
    assert covered == set(STRATEGIES)


def test_the_documents_exist(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    assert [name for name in DOCS if not (root / name).is_file()] == []


def test_every_record_has_the_sections_and_its_status(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = project
    for name in DECISIONS:
        text = (root / "docs" / "decisions" / name).read_text()
        positions = [text.find(f"\n{heading}\n") for heading in SECTIONS]
        assert -1 not in positions, (name, positions)
        assert positions == sorted(positions), name
        assert _section(text, "## Status").split("\n", 1)[1].strip() == "Accepted", name
        assert "copier update" in _section(text, "## Consequences"), name


def test_the_decision_names_the_chosen_answer_and_no_other(
    project: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = project
    for name, keys in DECISIONS.items():
        text = (root / "docs" / "decisions" / name).read_text()
        decision = _section(text, "## Decision")
        alternatives = _section(text, "## Alternatives considered")
        for key in _decided(answers, keys):
            chosen = _value(answers[key])
            assert f"`{key}: {chosen}`" in decision, (name, key, chosen)
            assert f"`{key}: {chosen}`" not in alternatives, (name, key, chosen)
            for other in CHOICES[key]:
                if other != chosen:
                    assert f"`{key}: {other}`" not in decision, (name, key, other)


def test_the_rejected_answers_are_alternatives(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    decisions = root / "docs" / "decisions"
    alternatives = "## Alternatives considered"
    serving = _section((decisions / "0001-serving-strategy.md").read_text(), alternatives)
    for other in CHOICES["fallback"]:
        assert (f"`fallback: {other}`" in serving) == (other != answers["fallback"]), other
    cicd = _section((decisions / "0005-ci-cd.md").read_text(), alternatives)
    for key in ("ci_provider", "deploy_target", "api_auth"):
        (other,) = set(CHOICES[key]) - {answers[key]}
        assert f"`{key}: {other}`" in cicd, key
    registry = _section((decisions / "0003-model-registry.md").read_text(), alternatives)
    (other,) = set(CHOICES["model_registry"]) - {answers["model_registry"]}
    assert f"`model_registry: {other}`" in registry


def test_the_numbers_are_the_answers(project: tuple[Path, dict[str, Any]]) -> None:
    root, answers = project
    docs = root / "docs"
    rps, latency, timeout = (
        answers["expected_rps"],
        answers["latency_slo_ms"],
        answers["request_timeout_ms"],
    )
    in_flight = max(16, math.ceil(rps * 2 * timeout / 1000))
    steps = [int(step) for step in answers["rollout_steps"].split(",")]
    steps_text = "%, ".join(map(str, steps)) + "%"

    capacity = (docs / "capacity.md").read_text()
    assert f"| `expected_rps` | {rps} requests/s |" in capacity
    assert f"load test at **{rps * 2} requests/s**" in capacity
    assert f"RPS={rps * 2} DURATION=300s" in capacity
    assert f"{latency} ms" in capacity
    assert f"| `max_in_flight` | {in_flight} |" in capacity
    assert f"limit of {in_flight} requests in flight" in capacity
    assert "Retry-After: 1" in capacity
    assert ("deploy/kubernetes/hpa.yaml" in capacity) == (answers["deploy_target"] == "kubernetes")
    assert ("llm_cost_usd_total" in capacity) == (answers["serving"] == "api_provider")

    serving = (docs / "decisions" / "0001-serving-strategy.md").read_text()
    assert f"| `request_timeout_ms` | {timeout} ms |" in serving
    assert f"| `max_in_flight` | {in_flight} |" in serving
    if answers["task"] == "classification":
        assert f"`confidence_threshold: {answers['confidence_threshold']}`" in serving

    registry = (docs / "decisions" / "0003-model-registry.md").read_text()
    assert f"`rollout_steps: {answers['rollout_steps']}`" in registry
    for key in ("quality_min", "max_metric_drop", "abort_error_rate", "abort_p99_ratio"):
        assert f"`{key}: {answers[key]}`" in registry, key
    assert f"`quality_slice: {answers['quality_slice']}`" in registry

    observability = (docs / "decisions" / "0004-observability.md").read_text()
    assert f"`availability_slo: {answers['availability_slo']}`" in observability
    assert f'team="{answers["alert_team"]}"' in observability
    assert f'job="{answers["prometheus_job"]}"' in observability
    assert ("trace_sample_ratio" in observability) == answers["tracing"]

    cicd = (docs / "decisions" / "0005-ci-cd.md").read_text()
    for key in ("staging_environment", "production_environment"):
        assert f"`{key}: {answers[key]}`" in cicd, key
    assert (answers["container_registry"] or "container_registry` left empty") in cicd

    plan = (docs / "launch-plan.md").read_text()
    assert f"RPS={rps * 2} DURATION=300s" in plan
    assert steps_text in plan
    assert "scope rule: a mid-project request goes to the next release" in plan.lower()
    for week in range(1, 5):
        assert f"\n## Week {week}: " in plan, week


def test_the_launch_plan_uses_real_targets(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    makefile = (root / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    # Added to every project by another change, with the readiness scorecard.
    targets |= {"readiness", "rollback-drill"}
    for name in (
        "docs/launch-plan.md",
        "docs/capacity.md",
        *(f"docs/decisions/{n}" for n in DECISIONS),
    ):
        text = (root / name).read_text()
        for command in re.findall(r"`make ([a-z][a-z -]*?)(?: [A-Z]+=[^`]*)?`", text):
            for target in command.split():
                assert target in targets, (name, target)


def test_no_template_syntax_or_placeholder_is_left(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    for name in DOCS:
        text = (root / name).read_text()
        residue = JINJA_RESIDUE.search(text)
        assert residue is None, (name, text[max(0, residue.start() - 40) : residue.end() + 40])
        placeholder = PLACEHOLDER.search(text)
        assert placeholder is None, (name, placeholder.group(0))


def test_relative_links_resolve(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    for name in DOCS:
        path = root / name
        for target in LINK.findall(path.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            resolved = (path.parent / target.split("#", 1)[0]).resolve()
            assert resolved.exists(), (name, target)


def test_lines_are_wrapped(project: tuple[Path, dict[str, Any]]) -> None:
    root, _ = project
    for name in DOCS:
        for number, line in enumerate((root / name).read_text().splitlines(), start=1):
            if line.lstrip().startswith("|") or "://" in line:
                continue
            assert len(line) <= 100, (name, number, line)
