"""Pure-ASGI middleware: cheap on the hot path, and safe for streaming bodies."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body


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
