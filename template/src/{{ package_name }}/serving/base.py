"""The interface between the HTTP API and whatever produces predictions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..contracts.api import FallbackReason
from ..contracts.features import Features


class ModelUnavailableError(RuntimeError):
    """The adapter cannot answer now (no model loaded, upstream down)."""

    #: What the response's ``fallback_reason`` says when this error hands over to the fallback.
    reason = FallbackReason.MODEL_UNAVAILABLE


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    model_version: str


class ModelAdapter(Protocol):
    """What the API needs from a model, wherever it runs."""

    async def start(self) -> None:
        """Prepare to serve (load the model, open connections); called once at start-up."""
        ...

    async def close(self) -> None:
        """Release what ``start`` acquired; called once at shutdown."""
        ...

    async def predict(self, features: Features) -> Prediction:
        """Predict for one input; raise ``ModelUnavailableError`` when that is impossible."""
        ...

    async def readiness(self) -> tuple[bool, str]:
        """Whether predictions can be served now, and a reason a person can act on."""
        ...

    def metadata(self) -> dict[str, Any]:
        """Facts about the model being served (version, metrics), for operators."""
        ...
