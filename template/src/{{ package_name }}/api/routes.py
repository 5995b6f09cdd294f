"""Routes: predictions under /v1, probes at the root."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..contracts.api import ErrorResponse, PredictRequest, PredictResponse
from ..serving.base import ModelUnavailableError
from .dependencies import AdapterDep, SettingsDep, require_api_key
from .errors import error_response

logger = logging.getLogger(__name__)

predictions = APIRouter(prefix="/v1", tags=["predictions"], dependencies=[Depends(require_api_key)])
probes = APIRouter(tags=["probes"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 413, 422, 503, 504)
}


@predictions.post("/predict", response_model=PredictResponse, responses=_ERRORS)
async def predict(
    body: PredictRequest, adapter: AdapterDep, settings: SettingsDep
) -> PredictResponse | JSONResponse:
    """Predict for one input. Answers 503 while no model is loaded, 504 past the deadline."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(settings.request_timeout_s):
            prediction = await adapter.predict(body.features)
    except TimeoutError:
        return error_response(
            504,
            "model_timeout",
            f"The model did not answer within {settings.request_timeout_ms} ms.",
        )
    except ModelUnavailableError as error:
        return error_response(503, "model_unavailable", str(error), headers={"Retry-After": "5"})
    elapsed_ms = (time.perf_counter() - started) * 1000
    if elapsed_ms > settings.latency_slo_ms:
        logger.warning(
            "Prediction took %.0f ms, over the %d ms latency objective.",
            elapsed_ms,
            settings.latency_slo_ms,
        )
    return PredictResponse(
        prediction=prediction.label,
        confidence=prediction.confidence,
        model_version=prediction.model_version,
    )


@probes.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process is up and its event loop answers."""
    return {"status": "ok"}


@probes.get("/readyz", responses={503: {"description": "Not ready, with the reason."}})
async def readyz(adapter: AdapterDep) -> JSONResponse:
    """Readiness: a model is loaded and predictions can be served."""
    ready, reason = await adapter.readiness()
    status = "ready" if ready else "not_ready"
    return JSONResponse({"status": status, "reason": reason}, status_code=200 if ready else 503)


@probes.get("/v1/model", tags=["predictions"], dependencies=[Depends(require_api_key)])
async def model_info(adapter: AdapterDep) -> dict[str, Any]:
    """Which model is being served: version, metrics, training data hash."""
    return adapter.metadata()
