"""The fallback chain: the model answers within its deadline and confidently, or a fallback does.

Every way the model can fail a request (too slow, unavailable, raising, unsure) ends in the
configured fallback rather than an error, and the outcome says which and why.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Protocol

from ..contracts.api import FallbackReason
from ..contracts.features import Features
from ..serving.base import ModelAdapter, ModelUnavailableError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The answer to one prediction request, from the model or from a fallback."""

    prediction: str | None
    confidence: float | None
    model_version: str | None
    fallback_reason: FallbackReason | None = None


class NoAnswerError(RuntimeError):
    """Neither the model nor the fallback could answer."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class FallbackResponder(Protocol):
    """Answers in the model's place."""

    #: Share of the request's deadline kept back for the fallback (0 for instant ones).
    deadline_share: float

    async def start(self) -> None:
        """Prepare to answer; called once at start-up, after the model's own start."""
        ...

    async def close(self) -> None:
        """Release what ``start`` acquired; called once at shutdown."""
        ...

    async def respond(self, features: Features) -> Outcome:
        """Answer for ``features``; raise ``ModelUnavailableError`` when impossible."""
        ...


class PredictionService:
    """Runs the model under a deadline and hands every failure to the fallback."""

    def __init__(
        self,
        model: ModelAdapter,
        fallback: FallbackResponder,
        *,
        timeout_s: float,
        confidence_threshold: float,
    ) -> None:
        self.model = model
        self.fallback = fallback
        self.timeout_s = timeout_s
        self.confidence_threshold = confidence_threshold

    async def predict(self, features: Features) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        model_budget_s = self.timeout_s * (1 - self.fallback.deadline_share)
        try:
            async with asyncio.timeout(model_budget_s):
                prediction = await self.model.predict(features)
        except TimeoutError:
            reason, detail = FallbackReason.DEADLINE_EXCEEDED, f"over {model_budget_s:.3f} s"
        except ModelUnavailableError as error:
            reason, detail = error.reason, str(error)
        except Exception as error:
            logger.exception("The model failed; the fallback answers")
            reason, detail = FallbackReason.MODEL_ERROR, repr(error)
        else:
            if prediction.confidence >= self.confidence_threshold:
                return Outcome(prediction.label, prediction.confidence, prediction.model_version)
            reason = FallbackReason.LOW_CONFIDENCE
            detail = f"confidence {prediction.confidence:.3f} < {self.confidence_threshold}"
        return await self._fall_back(features, reason, detail, deadline)

    async def _fall_back(
        self, features: Features, reason: FallbackReason, detail: str, deadline: float
    ) -> Outcome:
        logger.info("Fallback answers (%s): %s", reason, detail)
        try:
            async with asyncio.timeout_at(deadline):
                outcome = await self.fallback.respond(features)
        except TimeoutError as error:
            raise NoAnswerError(
                f"Neither the model nor the fallback answered within "
                f"{self.timeout_s * 1000:.0f} ms ({reason}: {detail}).",
                timed_out=True,
            ) from error
        except ModelUnavailableError as error:
            raise NoAnswerError(
                f"The model could not answer ({reason}: {detail}) and neither could the "
                f"fallback: {error}",
                timed_out=False,
            ) from error
        return dataclasses.replace(outcome, fallback_reason=reason)
