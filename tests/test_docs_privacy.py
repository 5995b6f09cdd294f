"""docs/privacy.md and the incident response and rollback runbooks, rendered from the answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from .helpers import NON_DEFAULT_ANSWERS, TEMPLATE_ROOT
from .test_render import COMBINATIONS, JINJA_RESIDUE, _choices

PRIVACY = "docs/privacy.md"
INCIDENT = "docs/runbooks/incident-response.md"
ROLLBACK = "docs/runbooks/rollback.md"
#: What the checks read: the docs, and the files they link to. Nothing else is rendered.
RENDERED = [".copier-answers.yml", "docs/", "docs/**", "SECURITY.md", "Makefile", "ops/", "ops/**"]
#: The headings of each regime's section in docs/privacy.md.
REGIME_HEADINGS = {"gdpr": "## GDPR", "hipaa": "## HIPAA", "soc2": "## SOC 2"}
#: Placeholders other than `[to fill: ...]` that must never be left behind.
STRAY_PLACEHOLDERS = re.compile(r"\bTODO\b|\bTBD\b|\bFIXME\b|\bXXX\b|lorem ipsum|\[to fill\](?!:)")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")

_FALLBACKS = _choices("fallback")
#: One combination per serving strategy, the fallbacks taking turns, so every strategy and
#: every fallback is rendered, with the data answers spread across them.
_SAMPLE = [
    key
    for index, key in enumerate(COMBINATIONS)
    if COMBINATIONS[key]["fallback"] == _FALLBACKS[index // len(_FALLBACKS) % len(_FALLBACKS)]
]
CASES: dict[str, dict[str, Any]] = {
    **{
        key: {
            **data,
            "compliance": (["soc2"] if index % 2 else ["gdpr"])
            if data["personal_data"]
            else (["soc2"] if index % 3 == 0 else ["none"]),
        }
        for index, (key, data) in enumerate((key, COMBINATIONS[key]) for key in _SAMPLE)
    },
    "non-default": NON_DEFAULT_ANSWERS,
    "hipaa": {"personal_data": True, "compliance": ["hipaa"], "deploy_target": "none"},
    "all-regimes-gitlab": {
        "personal_data": True,
        "compliance": ["gdpr", "hipaa", "soc2"],
        "ci_provider": "gitlab",
        "model_registry": "mlflow",
        "serving": "managed_endpoint",
        "platform": "sagemaker",
    },
    "default": {},
}


def _render(destination: Path, data: dict[str, Any]) -> Path:
    copier.run_copy(
        str(TEMPLATE_ROOT),
        destination,
        data=data,
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
        unsafe=False,
        exclude=["*", *(f"!{pattern}" for pattern in RENDERED)],
    )
    return destination


@pytest.mark.parametrize("case", list(CASES))
def test_docs_follow_the_answers(case: str, tmp_path: Path) -> None:
    """Each case is rendered once, and every check below runs on it."""
    root = _render(tmp_path / "project", CASES[case])
    answers: dict[str, Any] = yaml.safe_load((root / ".copier-answers.yml").read_text())
    for check in CHECKS:
        check(root, answers)


def _documents(root: Path) -> list[Path]:
    return [path for path in (root / PRIVACY, root / INCIDENT, root / ROLLBACK) if path.is_file()]


def check_privacy_md_only_with_personal_data_or_a_regime(
    root: Path, answers: dict[str, Any]
) -> None:
    expected = answers["personal_data"] or answers["compliance"] != ["none"]
    assert (root / PRIVACY).is_file() == expected
    assert (root / INCIDENT).is_file()
    assert (root / ROLLBACK).is_file()


def check_a_section_for_each_chosen_regime_and_no_other(
    root: Path, answers: dict[str, Any]
) -> None:
    if not (root / PRIVACY).is_file():
        return
    text = (root / PRIVACY).read_text()
    for regime, heading in REGIME_HEADINGS.items():
        present = re.search(f"^{re.escape(heading)}$", text, re.MULTILINE) is not None
        assert present == (regime in answers["compliance"]), regime
    if "gdpr" in answers["compliance"]:
        assert "72 hours" in text
        assert "one month" in text
        assert "[to fill: data protection officer" in text
    if "hipaa" in answers["compliance"]:
        assert "six years" in text
        assert "Business associate agreement" in text
    if "soc2" in answers["compliance"]:
        assert "runbooks/incident-response.md" in text


def check_privacy_md_names_the_real_fields_stores_and_processors(
    root: Path, answers: dict[str, Any]
) -> None:
    if not (root / PRIVACY).is_file():
        return
    text = (root / PRIVACY).read_text()
    task = answers["task"]
    fields = (
        ["tenure_months", "contract_type", "customer_id", "churned"]
        if task == "classification"
        else ["text", "text_length", "message_id", "reference"]
    )
    assert [field for field in fields if f"`{field}`" not in text] == []
    sources = answers["data_sources"]
    assert ("RAW_DIR" in text) == ("local_files" in sources)
    assert ("POSTGRES_URL" in text) == ("postgresql" in sources)
    assert ("S3_URI" in text) == ("s3" in sources)
    assert ("MLFLOW_TRACKING_URI" in text) == (answers["model_registry"] == "mlflow")
    assert "PREDICTION_LOG_DIR" in text
    assert "data/processed" in text
    serving = answers["serving"]
    provider = {
        "openai": "OpenAI, or the compatible provider",
        "anthropic": "Anthropic",
        "sagemaker": "Amazon Web Services",
        "vertex_ai": "Google Cloud",
        "azure_ml": "Microsoft Azure",
    }
    if serving == "api_provider":
        assert provider[answers["provider"]] in text
    elif serving == "managed_endpoint":
        assert provider[answers["platform"]] in text
    else:
        assert "Model provider" not in text
    if task == "classification" and serving != "api_provider":
        assert "make pipeline train" in text
    assert "[redacted]" in text if answers["personal_data"] else "[redacted]" not in text


def check_runbooks_carry_the_service_numbers(root: Path, answers: dict[str, Any]) -> None:
    incident = (root / INCIDENT).read_text()
    rollback = (root / ROLLBACK).read_text()
    latency, availability = answers["latency_slo_ms"], answers["availability_slo"]
    page, ticket = answers["alert_severity_page"], answers["alert_severity_ticket"]
    for severity in ("SEV1", "SEV2", "SEV3"):
        assert f"| {severity} |" in incident
    assert f"{latency} ms" in incident
    assert f"{availability:g}%" in incident
    assert f"`{page}`" in incident
    assert f"`{ticket}`" in incident
    assert "make rollback" in incident
    assert "/v1/rollout" in incident
    assert "make rollback-drill" in rollback
    assert "reports/rollback-drill.json" in rollback
    assert "make readiness" in rollback
    assert "REGISTRY_POLL_S" in rollback
    kubernetes = answers["deploy_target"] == "kubernetes"
    assert ("make rollback-image" in rollback) == kubernetes
    assert ("make rollback-image" in incident) == kubernetes
    readme = (root / "docs/runbooks/README.md").read_text()
    assert "(incident-response.md)" in readme
    assert "(rollback.md)" in readme


def check_the_time_budget_sums_to_under_ten_minutes(root: Path, answers: dict[str, Any]) -> None:
    text = (root / ROLLBACK).read_text()
    rows = [
        line.split("|")[2:4]
        for line in text.splitlines()
        if line.startswith("| ") and re.search(r"\d+ min", line) and "Total" not in line
    ]
    totals = re.search(r"\| \*\*Total\*\* \| \*\*(\d+) min\*\* \| \*\*(\d+) min\*\* \|", text)
    assert rows
    assert totals
    for column in (0, 1):
        spent = sum(int(re.findall(r"(\d+) min", row[column])[0]) for row in rows)
        assert spent == int(totals.group(column + 1)) < 10


def check_docs_are_clean_markdown(root: Path, answers: dict[str, Any]) -> None:
    for path in _documents(root):
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        match = JINJA_RESIDUE.search(text)
        assert match is None, f"{relative}: {text[max(0, match.start() - 40) : match.end() + 40]!r}"
        assert STRAY_PLACEHOLDERS.search(text) is None, relative
        for placeholder in re.findall(r"\[to fill[^\]]*\]", text):
            assert re.fullmatch(r"\[to fill: [^\[\]]+\]", placeholder), (relative, placeholder)
        assert text.endswith("\n"), relative
        assert not text.endswith("\n\n"), relative
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), relative
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith("|") or "://" in line:
                continue
            assert len(line) <= 100, f"{relative}:{number} has {len(line)} characters: {line}"


def check_relative_links_resolve(root: Path, answers: dict[str, Any]) -> None:
    for path in [*_documents(root), root / "docs/runbooks/README.md"]:
        for target in MARKDOWN_LINK.findall(path.read_text()):
            if "://" in target or target.startswith(("#", "mailto:")):
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            relative = resolved.relative_to(root.resolve()).as_posix()
            assert resolved.exists(), f"{path.name} -> {target} ({relative})"


def check_make_targets_in_the_docs_exist(root: Path, answers: dict[str, Any]) -> None:
    makefile = (root / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    for path in _documents(root):
        for command in re.findall(r"`make ([a-z][a-z -]*?)(?: [A-Z]+=[^`]*)?`", path.read_text()):
            missing = [word for word in command.split() if word not in targets]
            assert missing == [], f"{path.name}: make {command}"


CHECKS = [
    check_privacy_md_only_with_personal_data_or_a_regime,
    check_a_section_for_each_chosen_regime_and_no_other,
    check_privacy_md_names_the_real_fields_stores_and_processors,
    check_runbooks_carry_the_service_numbers,
    check_the_time_budget_sums_to_under_ten_minutes,
    check_docs_are_clean_markdown,
    check_relative_links_resolve,
    check_make_targets_in_the_docs_exist,
]
