"""Pure-ASGI middleware: cheap on the hot path, and safe for streaming bodies."""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..monitoring import metrics
from .errors import error_body

logger = structlog.get_logger(__name__)

#: A client's ``X-Request-ID`` is kept when it looks like an ID; anything else gets a new one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Methods counted by name; any other is counted as ``other`` (clients choose the method).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Probes and scrapes: counted in the metrics, logged only when they fail.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
#: On every response: no MIME sniffing, no framing, no referrer, no window shared with openers.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
#: The API answers JSON: a browser may load nothing from a response, nor frame it.
STRICT_CSP = b"default-src 'none'; frame-ancestors 'none'"
#: The interactive docs (Swagger UI, ReDoc) load their scripts and styles from jsDelivr, start
#: with an inline script, fetch /openapi.json, and ReDoc runs a worker and Google's fonts.
DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src https://fonts.gstatic.com; img-src 'self' data: https:; connect-src 'self'; "
    b"worker-src blob:; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


async def send_json_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    extra_headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Add the security headers to every response, and ``Cache-Control: no-store`` under
    ``path_prefix``: predictions are about someone, and no cache in between may keep them."""

    def __init__(self, app: ASGIApp, path_prefix: str = "/v1/") -> None:
        self.app = app
        self.path_prefix = path_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        csp = DOCS_CSP if path in DOCS_PATHS else STRICT_CSP
        added = [*SECURITY_HEADERS, (b"content-security-policy", csp)]
        if path.startswith(self.path_prefix):
            added.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Answer 413 to bodies over ``max_bytes``, before the application reads them.

    A declared ``Content-Length`` is checked up front (the HTTP server enforces it).
    A chunked body is read up to the limit and replayed to the application.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._reject(send)
                return
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        await send_json_error(
            send,
            413,
            "payload_too_large",
            f"The request body is larger than {self.max_bytes} bytes; send a smaller body.",
        )


class InFlightLimitMiddleware:
    """Shed load with a fast 503 once ``limit`` requests under ``path_prefix`` are in flight.

    Queueing beyond capacity only turns every request into a timeout; refusing early keeps
    latency low for the requests that are admitted and tells clients to back off.
    Health checks are outside the prefix, so probes never get shed.
    """

    def __init__(self, app: ASGIApp, limit: int, path_prefix: str = "/v1/") -> None:
        self.app = app
        self.limit = limit
        self.path_prefix = path_prefix
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path_prefix):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await send_json_error(
                send,
                503,
                "overloaded",
                f"The service is at its limit of {self.limit} requests in flight; retry shortly.",
                extra_headers=((b"retry-after", b"1"),),
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class ObservabilityMiddleware:
    """Give every request an ID, count and time it, and log it once when it ends.

    The ID is the client's ``X-Request-ID`` when it sends a usable one, else a new one; it is
    returned in the response's ``X-Request-ID`` and is on every log line of the request.
    Metrics are labelled by route template (``/v1/predict``), never by raw path, and by
    status code, so their number of series stays bounded whatever clients send.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        header = (b"x-request-id", request_id.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "other")
            method = scope["method"] if scope["method"] in METHODS else "other"
            counter, timer = self._metrics_for(method, route, status)
            counter.inc()
            timer.observe(elapsed)
            if route not in QUIET_ROUTES or status >= 500:
                logger.info(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )

    def _metrics_for(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                metrics.HTTP_REQUESTS.labels(method, route, str(status)),
                metrics.HTTP_DURATION.labels(method, route),
            )
            self._children[key] = children
        return children


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex
