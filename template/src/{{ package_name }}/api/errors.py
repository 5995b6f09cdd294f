"""One JSON error shape for every failure, with the field at fault and no internals."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..contracts.api import PredictRequest
from ..monitoring import metrics

logger = logging.getLogger(__name__)


def error_body(
    code: str, message: str, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status_code, headers=headers
    )


def _field_path(location: tuple[int | str, ...]) -> str:
    """``("body", "features", "tenure_months")`` -> ``features.tenure_months``.

    A JSON syntax error is located by a character offset, which is no field: it maps to ``body``.
    """
    parts = list(location)
    if parts and parts[0] == "body":
        parts = parts[1:]
    if len(parts) == 1 and isinstance(parts[0], int):
        return "body"
    return ".".join(str(part) for part in parts) or "body"


def _known_fields(model: type[BaseModel], prefix: str = "") -> frozenset[str]:
    """Every field path of ``model``, nested models included: the values the validation metric
    may use as a label (anything else a client sends is counted as ``other``)."""
    paths = set()
    for name, field in model.model_fields.items():
        paths.add(prefix + name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            paths |= _known_fields(field.annotation, f"{prefix}{name}.")
    return frozenset(paths)


KNOWN_FIELDS = _known_fields(PredictRequest) | {"body"}


def _validation_message(issue: dict[str, Any]) -> str:
    if issue["type"] == "json_invalid":
        return "The body is not valid JSON: " + str(
            issue.get("ctx", {}).get("error", "parse error")
        )
    if issue["type"] == "extra_forbidden":
        return "Unknown field; remove it or check its spelling."
    return str(issue["msg"])


async def _on_validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    details = [
        {
            "field": _field_path(tuple(issue["loc"])),
            "message": _validation_message(issue),
            "type": str(issue["type"]),
        }
        for issue in exc.errors()
    ]
    for field in {detail["field"] for detail in details}:
        metrics.VALIDATION_FAILURES.labels(field if field in KNOWN_FIELDS else "other").inc()
    fields = ", ".join(detail["field"] for detail in details)
    return error_response(
        422, "invalid_request", f"The request does not match the API contract ({fields}).", details
    )


async def _on_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
        exc.status_code, "http_error"
    )
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal_error", "The service failed unexpectedly; it has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(RequestValidationError)(_on_validation_error)
    app.exception_handler(StarletteHTTPException)(_on_http_error)
    app.exception_handler(Exception)(_on_unexpected_error)
