"""A minimal HTTP/1.1 server in a background thread, with full control over every byte.

Frameworks repair what a fault-injection server must be able to break (a body shorter than
its Content-Length, a reply that never comes), so this one writes responses by hand.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (a hanging upstream).
    delay_s: float = 0.0
    #: Announce the full Content-Length, send half the body, then close the connection.
    truncate: bool = False


Handler = Callable[[Request], Reply]


class FakeHttpServer:
    """Serves ``handler`` on 127.0.0.1 at a free port until ``stop``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeHttpServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop
        ).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Close the listening socket and every open connection; safe to call twice."""
        if self._loop.is_closed():
            return

        async def shutdown() -> None:
            # A connection made just now (a bare TCP probe) takes a few loop iterations to be
            # accepted; closing the server before then makes asyncio drop its socket unclosed.
            for _ in range(4):
                await asyncio.sleep(0)
            if self._server is not None:
                self._server.close()
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)  # a closed transport closes its socket one iteration later

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await self._read(reader)
                reply = self.handler(request)
                if reply.delay_s:
                    await asyncio.sleep(reply.delay_s)
                await self._write(writer, reply)
                if reply.truncate:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Request:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Request(method, path, headers, body)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, reply: Reply) -> None:
        phrase = HTTPStatus(reply.status).phrase
        headers = {"content-type": "application/json", **reply.headers}
        headers["content-length"] = str(len(reply.body))
        head = f"HTTP/1.1 {reply.status} {phrase}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        body = reply.body[: len(reply.body) // 2] if reply.truncate else reply.body
        writer.write(head.encode("latin-1") + b"\r\n" + body)
        await writer.drain()
