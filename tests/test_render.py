"""Tier 1: render every combination of answers and check the output without building it."""

from __future__ import annotations

import ast
import itertools
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import NON_DEFAULT_ANSWERS, TEMPLATE_ROOT, generate, project_files, run

QUESTIONS: dict[str, Any] = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())


def _choices(key: str) -> list[str]:
    choices = QUESTIONS[key]["choices"]
    return list(choices.values()) if isinstance(choices, dict) else list(choices)


LICENSES = _choices("license")
#: The longest names the validators allow: rendered lines must stay formatter-clean with them.
LONG_NAMES = {key: NON_DEFAULT_ANSWERS[key] for key in ("project_slug", "package_name")}
PYTHONS = _choices("python_version")
#: Every serving strategy with every fallback it allows; Python versions, licenses and long
#: names spread across them.
COMBINATIONS = [
    {
        "serving": serving,
        "fallback": fallback,
        "python_version": PYTHONS[index % len(PYTHONS)],
        "license": LICENSES[index % len(LICENSES)],
        **(LONG_NAMES if index % 2 else {}),
    }
    for index, (serving, fallback) in enumerate(
        itertools.product(_choices("serving"), _choices("fallback"))
    )
]

EXPECTED_FILES = [
    ".copier-answers.yml",
    ".dockerignore",
    ".env.example",
    ".github/workflows/ci.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    "Dockerfile",
    "LICENSE",
    "Makefile",
    "README.md",
    "data/sample/train.csv",
    "pyproject.toml",
    "src/{package}/__init__.py",
    "src/{package}/api/app.py",
    "src/{package}/cli.py",
    "src/{package}/contracts/api.py",
    "src/{package}/contracts/features.py",
    "src/{package}/model.py",
    "src/{package}/model_store.py",
    "src/{package}/py.typed",
    "src/{package}/resilience/chain.py",
    "src/{package}/resilience/fallback.py",
    "src/{package}/serving/base.py",
    "src/{package}/settings.py",
    "src/{package}/training.py",
    "tests/conftest.py",
    "tests/test_api.py",
    "tests/test_fallback.py",
    "tests/test_resilience.py",
]

JINJA_RESIDUE = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|#\}")
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?$", re.IGNORECASE)
WINDOWS_FORBIDDEN = set('<>:"|?*\\')


@pytest.fixture(
    scope="module",
    params=[*COMBINATIONS, NON_DEFAULT_ANSWERS],
    ids=[
        *(
            f"{c['serving']}-{c['fallback']}-py{c['python_version']}-{c['license']}"
            + ("-long-names" if "package_name" in c else "")
            for c in COMBINATIONS
        ),
        "non-default",
    ],
)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    data: dict[str, Any] = request.param
    root = generate(tmp_path_factory.mktemp("render") / "project", data)
    answers: dict[str, Any] = yaml.safe_load((root / ".copier-answers.yml").read_text())
    return root, answers


def test_expected_files_are_present(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, answers = rendered
    missing = [
        name.format(package=answers["package_name"])
        for name in EXPECTED_FILES
        if not (root / name.format(package=answers["package_name"])).is_file()
    ]
    assert not missing


def test_only_the_chosen_serving_strategy_is_generated(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    root, answers = rendered
    package = root / "src" / answers["package_name"]
    remote = answers["serving"] != "in_process"
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", dependency)[0] for dependency in dependencies}

    assert (package / "serving" / "in_process.py").exists() == (not remote)
    assert (package / "serving" / "kserve_v2.py").exists() == (
        answers["serving"] == "inference_server"
    )
    assert (package / "resilience" / "upstream.py").exists() == remote
    assert (root / "tests" / "fakes").exists() == remote
    assert ("tenacity" in names) == remote
    assert ("httpx" in names) == remote
    app = (package / "api" / "app.py").read_text()
    assert "build_adapter" in app


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
    assert ("fallback_label" in settings) == (chosen == "static")
    assert ("fallback_model_version" in settings) == (chosen == "secondary")
    assert ("fallback_inference_model" in settings) == (chosen == "secondary-remote")


def test_no_template_syntax_is_left_behind(rendered: tuple[Path, dict[str, Any]]) -> None:
    root, _ = rendered
    for path in project_files(root):
        relative = path.relative_to(root).as_posix()
        assert not relative.endswith(".jinja"), relative
        assert not JINJA_RESIDUE.search(relative), relative
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
    assert f"default={answers['confidence_threshold']}," in settings
    assert f'ENV_PREFIX = "{answers["package_name"].upper()}_"' in settings


def test_answers_file_records_answers_and_no_secrets(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    _, answers = rendered
    asked = {key for key, spec in QUESTIONS.items() if not key.startswith("_")}
    computed = {
        key
        for key, spec in QUESTIONS.items()
        if isinstance(spec, dict) and spec.get("when") is False
    }

    assert set(answers) - {"_commit", "_src_path"} == asked - computed
    assert not any(re.search("key|token|secret|password", key) for key in answers)


def test_generated_code_is_formatted_and_lint_clean(rendered: tuple[Path, dict[str, Any]]) -> None:
    """ruff with the project's own configuration, before anything is installed."""
    root, _ = rendered
    run(["ruff", "format", "--check", "--no-cache", "."], root)
    run(["ruff", "check", "--no-cache", "."], root)
