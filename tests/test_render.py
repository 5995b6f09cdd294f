"""Tier 1: render every combination of answers and check the output without building it."""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import (
    ADAPTER_MODULES,
    NON_DEFAULT_ANSWERS,
    STRATEGIES,
    TEMPLATE_ROOT,
    project_files,
    quality_gate_commands,
    render_once,
    run,
)

QUESTIONS: dict[str, Any] = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())


def _choices(key: str) -> list[str]:
    choices = QUESTIONS[key]["choices"]
    return list(choices.values()) if isinstance(choices, dict) else list(choices)


LICENSES = _choices("license")
#: The longest names the validators allow: rendered lines must stay formatter-clean with them.
LONG_NAMES = {key: NON_DEFAULT_ANSWERS[key] for key in ("project_slug", "package_name")}
PYTHONS = _choices("python_version")
#: Data sources, engines and personal data, in the combinations the renders rotate through.
DATA_ANSWERS: list[dict[str, Any]] = [
    {"data_sources": ["local_files"], "pipeline_engine": "embedded", "personal_data": False},
    {"data_sources": ["postgresql"], "pipeline_engine": "spark", "personal_data": True},
    {"data_sources": ["s3"], "pipeline_engine": "embedded", "personal_data": True},
    {
        "data_sources": ["local_files", "postgresql", "s3"],
        "pipeline_engine": "spark",
        "personal_data": False,
    },
    {"data_sources": ["local_files", "s3"], "pipeline_engine": "embedded", "personal_data": True},
]
#: Every serving strategy with every fallback; Python versions, licenses, long names and data
#: answers spread across them.
COMBINATIONS: dict[str, dict[str, Any]] = {
    f"{strategy}-{fallback}": {
        **answers,
        "fallback": fallback,
        "python_version": PYTHONS[index % len(PYTHONS)],
        "license": LICENSES[index % len(LICENSES)],
        **(LONG_NAMES if index % 2 else {}),
        **DATA_ANSWERS[index % len(DATA_ANSWERS)],
        "tracing": index % 3 == 1,
    }
    for index, ((strategy, answers), fallback) in enumerate(
        itertools.product(STRATEGIES.items(), _choices("fallback"))
    )
}
#: The strategy of every rendered project, by the id of its answers.
STRATEGY_OF = {
    **{key: key.rsplit("-", 1)[0] for key in COMBINATIONS},
    "non-default": "generation-anthropic",
}

#: The modules that import OpenTelemetry when tracing is chosen; the others use tracing.py.
TRACED = {"logs", "predictions", "tracing"}
EXPECTED_FILES = [
    ".copier-answers.yml",
    ".dockerignore",
    ".env.example",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    "Dockerfile",
    "LICENSE",
    "Makefile",
    "README.md",
    "docker-compose.yml",
    "docs/runbooks/README.md",
    "docs/runbooks/predict-error-budget-burn.md",
    "docs/runbooks/predict-latency-budget-burn.md",
    "docs/runbooks/service-down.md",
    "loadtest/locustfile.py",
    "ops/grafana/dashboards/{slug}.json",
    "ops/grafana/provisioning/dashboards/dashboards.yml",
    "ops/grafana/provisioning/datasources/prometheus.yml",
    "ops/prometheus/alert_rules.yml",
    "ops/prometheus/prometheus.yml",
    "ops/prometheus/recording_rules.yml",
    "ops/prometheus/tests/availability.yml",
    "ops/prometheus/tests/batch.yml",
    "ops/prometheus/tests/predictions.yml",
    "ops/prometheus/tests/slo_fast_burn.yml",
    "ops/prometheus/tests/slo_slow_burn.yml",
    "pyproject.toml",
    "src/{package}/__init__.py",
    "src/{package}/api/app.py",
    "src/{package}/cli.py",
    "src/{package}/contracts/api.py",
    "src/{package}/monitoring/__init__.py",
    "src/{package}/monitoring/batch.py",
    "src/{package}/monitoring/drift.py",
    "src/{package}/monitoring/logs.py",
    "src/{package}/monitoring/metrics.py",
    "src/{package}/monitoring/prediction_log.py",
    "src/{package}/monitoring/predictions.py",
    "src/{package}/pipeline/__init__.py",
    "src/{package}/pipeline/audit.py",
    "src/{package}/pipeline/dataset.py",
    "src/{package}/pipeline/engine.py",
    "src/{package}/pipeline/ingest.py",
    "src/{package}/pipeline/rules.py",
    "src/{package}/pipeline/run.py",
    "src/{package}/pipeline/schema.py",
    "src/{package}/pipeline/settings.py",
    "src/{package}/pipeline/sources.py",
    "src/{package}/pipeline/transform.py",
    "src/{package}/py.typed",
    "src/{package}/resilience/chain.py",
    "src/{package}/resilience/fallback.py",
    "src/{package}/serving/base.py",
    "src/{package}/settings.py",
    "src/{package}/smoke.py",
    "tests/conftest.py",
    "tests/test_alert_rules.py",
    "tests/test_api.py",
    "tests/test_audit.py",
    "tests/test_compose.py",
    "tests/test_contract.py",
    "tests/test_dashboard.py",
    "tests/test_drift.py",
    "tests/test_fallback.py",
    "tests/test_loadtest.py",
    "tests/test_observability.py",
    "tests/test_pipeline.py",
    "tests/test_resilience.py",
    "tests/test_smoke.py",
]
#: What only one task has: a trained demo model, or a generation contract; and its sample data.
TASK_FILES = {
    "classification": [
        "data/raw/customers.csv",
        "docs/runbooks/low-confidence-spike.md",
        "ops/prometheus/tests/low_confidence.yml",
        "src/{package}/contracts/features.py",
        "src/{package}/model.py",
        "src/{package}/model_input.py",
        "src/{package}/model_store.py",
        "src/{package}/training.py",
    ],
    "generation": ["data/raw/messages.jsonl", "src/{package}/contracts/prompt.py"],
}

#: Jinja syntax that should have been rendered. GitHub's `${{ ... }}`, Prometheus's alert
#: templates (`{{ $value }}`, `{{ $labels.job }}`) and Grafana's legends (`{{status}}`, a label
#: name with no spaces) are meant to stay.
JINJA_RESIDUE = re.compile(r"(?<!\$)\{\{(?! \$)(?![a-z_]+\}\})|\{%|%\}|\{#|#\}")
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?$", re.IGNORECASE)
WINDOWS_FORBIDDEN = set('<>:"|?*\\')


@pytest.fixture(
    scope="module",
    params=[*COMBINATIONS.items(), ("non-default", NON_DEFAULT_ANSWERS)],
    ids=[
        *(
            f"{key}-py{c['python_version']}-{c['license']}"
            + ("-long-names" if "package_name" in c else "")
            for key, c in COMBINATIONS.items()
        ),
        "non-default",
    ],
)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    key, data = request.param
    root, answers = render_once(key, data, tmp_path_factory)
    return root, {**answers, "_strategy": STRATEGY_OF[key]}


def test_expected_files_are_present(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    expected = [*EXPECTED_FILES, *TASK_FILES[answers["task"]]]
    (other_task,) = (files for task, files in TASK_FILES.items() if task != answers["task"])
    names = {"package": answers["package_name"], "slug": answers["project_slug"]}

    assert [name for name in expected if not (root / name.format(**names)).is_file()] == []
    assert [name for name in other_task if (root / name.format(**names)).exists()] == []
    # The OpenTelemetry Collector's configuration comes with the collector, for tracing only.
    assert (root / "ops" / "otel-collector.yaml").is_file() == answers["tracing"]


#: Runtime dependencies that only some strategies need.
OPTIONAL_DEPENDENCIES = {
    "anthropic": {"anthropic_messages"},
    "boto3": {"sagemaker"},
    "google-auth": {"vertex_ai"},
    "httpx": {"kserve_v2", "vertex_ai", "azure_ml"},
    # The openai and anthropic SDKs are built on httpx2; their adapters configure its pool.
    "httpx2": {"openai_chat", "anthropic_messages"},
    "openai": {"openai_chat"},
    "tenacity": set(ADAPTER_MODULES.values()) - {"in_process"},
}
CLASSIFICATION_DEPENDENCIES = {"joblib", "pandas", "scikit-learn"}


def test_only_the_chosen_serving_strategy_is_generated(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = rendered
    package = root / "src" / answers["package_name"]
    module = ADAPTER_MODULES[answers["_strategy"]]
    remote = module != "in_process"
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", dependency)[0] for dependency in dependencies}

    shared = {"__init__", "base", "rollout", "versions"}
    adapters = {path.stem for path in (package / "serving").glob("*.py")} - shared
    assert adapters == {module}
    assert (package / "resilience" / "upstream.py").exists() == remote
    assert (root / "tests" / "fakes").exists() == remote
    assert (root / "docs" / "runbooks" / "circuit-breaker-open.md").exists() == remote
    assert (root / "tests" / f"test_{module}.py").exists() == (module != "in_process")
    for name, modules in OPTIONAL_DEPENDENCIES.items():
        assert (name in names) == (module in modules), name
    if answers["task"] == "classification":
        assert names >= CLASSIFICATION_DEPENDENCIES
    else:
        assert not CLASSIFICATION_DEPENDENCIES & names
    versions = (package / "serving" / "versions.py").read_text()
    if remote:
        assert re.search(rf"from \.{module} import (SYSTEM_PROMPT, )?build_adapter", versions)
    else:
        assert "from .in_process import InProcessAdapter" in versions


#: Pipeline dependencies (and test servers) that only some data answers need.
DATA_DEPENDENCIES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "psycopg": lambda answers: "postgresql" in answers["data_sources"],
    "pyspark": lambda answers: answers["pipeline_engine"] == "spark",
    "moto": lambda answers: "s3" in answers["data_sources"],
}
PIPELINE_DEPENDENCIES = {
    "duckdb",
    "ibis-framework",
    "jinja2",
    "matplotlib",
    "numpy",
    "pyarrow",
    "sqlglot",
}


def test_only_the_chosen_data_sources_and_engine_are_generated(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = rendered
    package = root / "src" / answers["package_name"]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    groups = pyproject["dependency-groups"]
    pipeline = {re.split(r"[<>=\[ ]", dependency)[0] for dependency in groups["pipeline"]}
    dev_and_pipeline = pipeline | {re.split(r"[<>=\[ ]", item)[0] for item in groups["dev"]}
    service = {re.split(r"[<>=\[ ]", item)[0] for item in pyproject["project"]["dependencies"]}
    sources = set(answers["data_sources"])

    assert pipeline >= PIPELINE_DEPENDENCIES
    assert not (PIPELINE_DEPENDENCIES - {"pyarrow"}) & service, "the service image stays lean"
    for name, wanted in DATA_DEPENDENCIES.items():
        assert (name in dev_and_pipeline) == wanted(answers), name
    settings = (package / "pipeline" / "settings.py").read_text()
    assert ("postgres_url:" in settings) == ("postgresql" in sources)
    assert ("s3_uri:" in settings) == ("s3" in sources)
    assert ("spark_master:" in settings) == (answers["pipeline_engine"] == "spark")
    assert ('default=Path("data/raw")' in settings) == ("local_files" in sources)
    engine = (package / "pipeline" / "engine.py").read_text()
    assert ("class Spark" in engine) == (answers["pipeline_engine"] == "spark")
    assert (root / "tests" / "test_postgres_source.py").exists() == ("postgresql" in sources)
    assert (root / "tests" / "test_s3_source.py").exists() == ("s3" in sources)
    dockerfile = (root / "Dockerfile").read_text()
    assert dockerfile.count("--no-default-groups") == 2, "pipeline tools stay out of the image"


def test_only_the_chosen_fallback_is_generated(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    package = root / "src" / answers["package_name"]
    fallback_code = (package / "resilience" / "fallback.py").read_text()
    remote = answers["serving"] != "in_process"
    chosen = answers["fallback"] + (
        "-remote" if answers["fallback"] == "secondary" and remote else ""
    )
    classes = {
        "rules": "class RulesFallback",
        "static": "class StaticFallback",
        "abstain": "class AbstainFallback",
        "secondary": "class SecondaryModelFallback",
        "secondary-remote": "class SecondaryRemoteFallback",
    }

    assert (package / "rules.py").exists() == (chosen == "rules")
    for fallback, definition in classes.items():
        assert (definition in fallback_code) == (fallback == chosen), fallback
    settings = (package / "settings.py").read_text()
    static_field = "fallback_label" if answers["task"] == "classification" else "fallback_text"
    assert (f"{static_field}:" in settings) == (chosen == "static")
    assert ("fallback_model_version:" in settings) == (chosen == "secondary")
    assert ("fallback_model:" in settings) == (chosen == "secondary-remote")


def test_tracing_is_generated_only_when_chosen(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    package = root / "src" / answers["package_name"]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    service = " ".join(pyproject["project"]["dependencies"])
    tracing = answers["tracing"]

    assert ("opentelemetry-sdk" in service) == tracing, "the SDK stays out unless chosen"
    assert (package / "monitoring" / "tracing.py").exists() == tracing
    assert (root / "tests" / "test_tracing.py").exists() == tracing
    for path in package.rglob("*.py"):
        assert ("opentelemetry" in path.read_text()) == (tracing and path.stem in TRACED), path
    if tracing:
        settings = (package / "settings.py").read_text()
        assert f"default={answers['trace_sample_ratio']}," in settings


def test_api_auth_is_generated_only_when_chosen(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    package = root / "src" / answers["package_name"]
    api_key = answers["api_auth"] == "api_key"
    service = "\n".join(path.read_text() for path in package.rglob("*.py"))

    assert (package / "api" / "auth.py").exists() == api_key
    for code in ("require_api_key", "api_keys", "hmac", "MissingApiKeyError"):
        assert (code in service) == api_key, code
    assert ("API_KEYS" in (root / ".env.example").read_text()) == api_key
    assert ("API_KEYS=" in (root / "Makefile").read_text()) == api_key, "make setup writes one"
    deployment = root / "deploy" / "kubernetes" / "deployment.yaml"
    if deployment.exists():
        assert ("secretKeyRef" in deployment.read_text()) == api_key
    readme = (root / "README.md").read_text()
    assert ("Authorization: Bearer $KEY" in readme) == api_key
    assert ("a gateway in front of it does" in readme) == (not api_key)


def test_security_md_is_filled_from_the_answers(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    security = (root / "SECURITY.md").read_text()

    assert security.startswith(f"# Security\n\n{answers['project_name']} serves")
    assert f"Write to {answers['author_email']}" in security
    assert ("API_KEYS` " in security) == (answers["api_auth"] == "api_key")
    assert ("Prompt injection" in security) == (answers["task"] == "generation")
    assert ("[redacted]" in security) == answers["personal_data"]
    assert "make security" in security


#: The ML Test Score tests a project automates; the rest are ticked by hand in its checklist.
AUTOMATED_RUBRIC_TESTS = {"classification": 20, "generation": 19}
#: A value a person still has to fill in: names, owners, contacts, who did a check and when.
PLACEHOLDER = re.compile(r"\[to fill: ([^\]]*)\]")


def _rubric(root: Path, package: str) -> dict[str, tuple[str, ...]]:
    """Each rubric test's key and the scorecard items that automate it, read from the code."""
    tree = ast.parse((root / "src" / package / "readiness" / "rubric.py").read_text())
    tests = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RubricTest":
            key, _section, _test, automated_by = (ast.literal_eval(arg) for arg in node.args[:4])
            tests[key] = automated_by
    return tests


def test_readiness_checklist_is_filled_from_the_answers(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = rendered
    checklist = (root / "docs" / "readiness.md").read_text()

    assert f"| p99 latency objective | {answers['latency_slo_ms']} ms |" in checklist
    assert f"| Availability objective | {answers['availability_slo']}% of" in checklist
    assert f"| Load test traffic (2x) | {answers['expected_rps'] * 2} requests/s" in checklist
    assert f"| Rollout steps | {answers['rollout_steps']} percent |" in checklist
    assert f"`{answers['staging_environment']}`, then `{answers['production_environment']}`" in (
        checklist
    )
    assert ("| Confidence threshold |" in checklist) == (answers["task"] == "classification")
    assert ("`privacy-audit`" in checklist) == answers["personal_data"]
    for line in checklist.splitlines():
        if PLACEHOLDER.search(line):
            assert line.startswith(("| ", "- [ ] `", "  ")), line

    rubric = _rubric(root, answers["package_name"])
    assert len(rubric) == 28
    automated = [key for key, items in rubric.items() if items]
    assert len(automated) == AUTOMATED_RUBRIC_TESTS[answers["task"]]
    boxes = set(re.findall(r"^- \[ \] `(ml-[a-z0-9]+)`", checklist, re.MULTILINE))
    assert boxes == {f"ml-{key.lower()}" for key, items in rubric.items() if not items}


def test_documents_leave_only_names_owners_and_sign_offs_to_fill(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = rendered
    for path in project_files(root):
        if path.suffix != ".md":
            continue
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        assert not re.search(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum)\b", text, re.IGNORECASE), relative
        for value in PLACEHOLDER.findall(text):
            if value == "...":
                continue  # the convention itself, explained
            assert re.search(
                r"name|owner|who|link|channel|contact|phone|email|rotation|page|date|team",
                value,
            ), f"{relative}: [to fill: {value}] is not a name, an owner or a contact"


def test_make_security_audits_checks_and_scans(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, _ = rendered
    makefile = (root / "Makefile").read_text()
    recipe = makefile.split("\nsecurity:", 1)[1].split("\n\n", 1)[0]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dev = " ".join(pyproject["dependency-groups"]["dev"])

    for tool in ("pip-audit", "ruff check --select S", "detect-secrets-hook"):
        assert tool in recipe, tool
    for package in ("pip-audit", "detect-secrets", "schemathesis"):
        assert package in dev, package
    baseline = json.loads((root / ".secrets.baseline").read_text())
    assert baseline["results"] == {}
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    assert "detect-secrets" in {hook["id"] for repo in hooks["repos"] for hook in repo["hooks"]}


def test_no_template_syntax_is_left_behind(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, _ = rendered
    for path in project_files(root):
        relative = path.relative_to(root).as_posix()
        assert not relative.endswith(".jinja"), relative
        assert not JINJA_RESIDUE.search(relative), relative
        if path.suffix == ".j2":
            continue  # a template the project renders at run time (the audit's reports)
        text = path.read_text(encoding="utf-8")
        match = JINJA_RESIDUE.search(text)
        assert match is None, f"{relative}: {text[max(0, match.start() - 40) : match.end() + 40]!r}"


def test_file_names_are_portable(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, _ = rendered
    seen: set[str] = set()
    for path in project_files(root):
        relative = path.relative_to(root)
        for part in relative.parts:
            assert not WINDOWS_FORBIDDEN.intersection(part), relative
            assert not WINDOWS_RESERVED.match(part), relative
            assert not part.endswith((".", " ")), relative
        folded = relative.as_posix().lower()
        assert folded not in seen, f"{relative} clashes on a case-insensitive file system"
        seen.add(folded)


def test_structured_files_parse(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, _ = rendered
    for path in project_files(root):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".py":
            ast.parse(text, filename=str(path))


def test_files_end_with_one_newline_and_no_trailing_spaces(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = rendered
    for path in project_files(root):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(root)
        if not text:
            continue
        assert text.endswith("\n"), relative
        assert not text.endswith("\n\n"), relative
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), relative


def test_python_version_agrees_everywhere(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    version = answers["python_version"]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())

    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")
    assert pyproject["tool"]["mypy"]["python_version"] == version
    assert (root / ".python-version").read_text().strip() == version
    dockerfile = (root / "Dockerfile").read_text()
    from_lines = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert from_lines
    assert all(version in line for line in from_lines), from_lines


def test_license_matches_the_answer(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    text = (root / "LICENSE").read_text()
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    expected_heading = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Proprietary": "All rights reserved.",
    }[answers["license"]]

    assert expected_heading in text
    assert answers["license"] == "Apache-2.0" or answers["author_name"] in text
    spdx = "LicenseRef-Proprietary" if answers["license"] == "Proprietary" else answers["license"]
    assert pyproject["project"]["license"] == spdx


def test_service_objectives_reach_the_settings(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    settings = (root / "src" / answers["package_name"] / "settings.py").read_text()
    in_flight = max(
        16, math.ceil(answers["expected_rps"] * 2 * answers["request_timeout_ms"] / 1000)
    )

    assert f"default={answers['latency_slo_ms']}," in settings
    assert f"default={answers['request_timeout_ms']}," in settings
    assert f"default={in_flight}," in settings
    if answers["task"] == "classification":
        assert f"default={answers['confidence_threshold']}," in settings
    else:
        assert "confidence_threshold" not in settings
    assert f'ENV_PREFIX = "{answers["package_name"].upper()}_"' in settings


def test_answers_file_records_answers_and_no_secrets(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    _, answers = rendered
    recorded = set(answers) - {"_commit", "_src_path", "_strategy"}
    computed = {
        key
        for key, spec in QUESTIONS.items()
        if isinstance(spec, dict) and spec.get("when") is False
    }
    conditional = {
        "inference_protocol",
        "provider",
        "platform",
        "confidence_threshold",
        "quality_metric",
        "trace_sample_ratio",
    }
    always = {key for key in QUESTIONS if not key.startswith("_")} - computed - conditional

    assert always <= recorded
    assert recorded - always <= conditional
    assert ("inference_protocol" in recorded) == (answers["serving"] == "inference_server")
    assert ("provider" in recorded) == (answers["serving"] == "api_provider")
    assert ("platform" in recorded) == (answers["serving"] == "managed_endpoint")
    assert ("confidence_threshold" in recorded) == (answers["task"] == "classification")
    assert ("quality_metric" in recorded) == (answers["task"] == "classification")
    assert ("trace_sample_ratio" in recorded) == answers["tracing"]
    assert not any(re.search("key|token|secret|password", key) for key in answers)


def test_updates_use_the_copier_the_template_is_tested_with(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = rendered
    pinned = re.search(r'"copier==([^"]+)"', (TEMPLATE_ROOT / "pyproject.toml").read_text())
    assert pinned, "the template's dev dependencies pin copier"
    scheduled = {
        "github": root / ".github" / "workflows" / "scheduled.yml",
        "gitlab": root / ".gitlab" / "ci" / "scheduled.yml",
    }[answers["ci_provider"]]

    assert f"COPIER ?= uvx copier=={pinned[1]}\n" in (root / "Makefile").read_text()
    assert f'COPIER_VERSION: "{pinned[1]}"' in scheduled.read_text()
    assert QUESTIONS["_min_copier_version"] == pinned[1]


def test_generated_code_is_formatted_and_lint_clean(rendered: tuple[Path, dict[str, Any]]) -> None:
    """ruff with the project's own configuration, before anything is installed."""
    root, _ = rendered
    run(["ruff", "format", "--check", "--no-cache", "."], root)
    run(["ruff", "check", "--no-cache", "."], root)


def test_ci_pipeline_gates_quality(rendered: tuple[Path, dict[str, Any]]) -> None:
    """The chosen CI system's files only, and a quality gate that fits the serving answer."""
    root, answers = rendered
    github = answers["ci_provider"] == "github"
    assert (root / ".github").is_dir() == github
    assert (root / ".gitlab-ci.yml").is_file() == (not github)
    assert (root / ".gitlab").is_dir() == (not github)
    commands = "\n".join(quality_gate_commands(root, evaluation_env="X=1"))
    assert "make evaluate" in commands
    in_process = answers["serving"] == "in_process"
    assert ("make train" in commands) == in_process
    assert ("make register" in commands) == (not in_process)
    entry = root / (".github/workflows/ci.yml" if github else ".gitlab-ci.yml")
    assert ("MLFLOW_TRACKING_URI" in entry.read_text()) == (answers["model_registry"] == "mlflow")
