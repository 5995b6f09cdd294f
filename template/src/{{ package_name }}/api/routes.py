"""Routes: predictions under /v1, probes at the root."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..contracts.api import ErrorResponse, PredictRequest, PredictResponse
from ..resilience.chain import NoAnswerError
from .dependencies import ServiceDep, SettingsDep, require_api_key
from .errors import error_response

logger = logging.getLogger(__name__)

predictions = APIRouter(prefix="/v1", tags=["predictions"], dependencies=[Depends(require_api_key)])
probes = APIRouter(tags=["probes"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 413, 422, 503, 504)
}


@predictions.post("/predict", response_model=PredictResponse, responses=_ERRORS)
async def predict(
    body: PredictRequest, service: ServiceDep, settings: SettingsDep
) -> PredictResponse | JSONResponse:
    """Predict for one input; a fallback answers when the model cannot, and says why."""
    started = time.perf_counter()
    try:
        outcome = await service.predict(body.features)
    except NoAnswerError as error:
        if error.timed_out:
            return error_response(504, "deadline_exceeded", str(error))
        return error_response(503, "model_unavailable", str(error), headers={"Retry-After": "5"})
    elapsed_ms = (time.perf_counter() - started) * 1000
    if elapsed_ms > settings.latency_slo_ms:
        logger.warning(
            "Prediction took %.0f ms, over the %d ms latency objective.",
            elapsed_ms,
            settings.latency_slo_ms,
        )
    return PredictResponse(
        prediction=outcome.prediction,
        confidence=outcome.confidence,
        model_version=outcome.model_version,
        fallback=outcome.fallback_reason is not None,
        fallback_reason=outcome.fallback_reason,
    )


@probes.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and its event loop answers."""
    return {"status": "ok"}


@probes.get("/readyz", responses={503: {"description": "Not ready, with the reason."}})
async def readyz(service: ServiceDep) -> JSONResponse:
    """Readiness: the model can serve predictions (the fallback alone does not count)."""
    ready, reason = await service.model.readiness()
    status = "ready" if ready else "not_ready"
    return JSONResponse({"status": status, "reason": reason}, status_code=200 if ready else 503)


@probes.get("/v1/model", tags=["predictions"], dependencies=[Depends(require_api_key)])
async def model_info(service: ServiceDep) -> dict[str, Any]:
    """Which model is being served: version, metrics, training data hash."""
    return service.model.metadata()
