"""The quality gates: a minimum overall and in every slice, no regression from the champion,
and, where there is one, better than the simplest baseline.

Each gate says whether it passed, the measured value, the threshold and by how much it missed,
so a refused promotion tells the team exactly what to fix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evaluation:
    """One version measured on the golden set."""

    version: str
    metric: str
    overall: float
    rows: int
    slice_column: str
    slices: dict[str, float]
    slice_sizes: dict[str, int]
    #: Anything task-specific worth keeping (failed checks, confusion counts).
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    value: float
    threshold: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_gates(
    candidate: Evaluation,
    champion: Evaluation | None,
    *,
    minimum: float,
    max_drop: float,
    baseline: Evaluation | None = None,
) -> list[GateResult]:
    """Every gate's result for ``candidate``, against the champion when there is one and the
    simplest baseline (``baseline``: always the most common answer) when there is one."""
    metric = candidate.metric
    results = [_at_least("overall", f"{metric} overall", candidate.overall, minimum)]
    for value, score in sorted(candidate.slices.items()):
        name = f"slice {candidate.slice_column}={value}"
        label = f"{metric} in {name} ({candidate.slice_sizes[value]} rows)"
        results.append(_at_least(name, label, score, minimum))
    if champion is not None:
        floor = champion.overall - max_drop
        drop = champion.overall - candidate.overall
        passed = candidate.overall >= floor - 1e-12
        results.append(
            GateResult(
                name="versus champion",
                passed=passed,
                value=candidate.overall,
                threshold=floor,
                message=(
                    f"{metric} {candidate.overall:.4f} vs champion {champion.version}'s "
                    f"{champion.overall:.4f}: "
                    + (
                        f"within the allowed drop of {max_drop:.4f}"
                        if passed
                        else f"{drop:.4f} lower, over the allowed drop of {max_drop:.4f} by "
                        f"{drop - max_drop:.4f}"
                    )
                ),
            )
        )
    if baseline is not None:
        passed = candidate.overall > baseline.overall
        results.append(
            GateResult(
                name="versus baseline",
                passed=passed,
                value=candidate.overall,
                threshold=baseline.overall,
                message=(
                    f"{metric} {candidate.overall:.4f} vs {baseline.overall:.4f} for"
                    f" {baseline.version}: "
                    + (
                        f"better by {candidate.overall - baseline.overall:.4f}"
                        if passed
                        else "no better, so the model has learned nothing the golden set shows"
                    )
                ),
            )
        )
    return results


def _at_least(name: str, label: str, value: float, minimum: float) -> GateResult:
    passed = value >= minimum
    message = (
        f"{label} is {value:.4f}, at least the minimum {minimum:.4f}"
        if passed
        else f"{label} is {value:.4f}, below the minimum {minimum:.4f} by {minimum - value:.4f}"
    )
    return GateResult(name=name, passed=passed, value=value, threshold=minimum, message=message)
