"""The cap on a request's line and headers, over a real socket, with each parser `serve` can use:
uvicorn with the options `rewards serve` hands it, in front of a one-line app.

httptools (the default) is capped by capped_parser.py, whatever the pieces the head comes in. h11
caps only a head still arriving: one that comes whole in one piece is parsed, however large (up
to the read size), which is why it is no longer the default."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from tests.backends import settings_for

from interfaces.http.capped_parser import MAX_HEADER_BYTES
from interfaces.http.server import uvicorn_options


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def _serving(parser: str) -> AsyncIterator[int]:
    options = uvicorn_options(settings_for("mongomock", None, http_parser=parser))
    port = _free_port()
    config = uvicorn.Config(
        _ok, host="127.0.0.1", port=port, log_level="critical", lifespan="off", **options
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # uvicorn offers no event to wait on  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@pytest.fixture(params=["httptools", "h11"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, int]]:
    async with _serving(request.param) as port:
        yield request.param, port


def _request(header_bytes: int) -> bytes:
    return b"GET / HTTP/1.1\r\nhost: test\r\nx-padding: " + b"a" * header_bytes + b"\r\n\r\n"


async def _answer(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    body = await asyncio.wait_for(reader.readexactly(length), 5) if length else b""
    return head + body


async def test_headers_under_the_cap_are_served_on_one_connection(
    served: tuple[str, int],
) -> None:
    _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        # Three requests of 10 KiB each on one keep-alive connection: the count starts afresh.
        for _ in range(3):
            writer.write(_request(10 * 1024))
            answer = await _answer(reader)
            assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
    finally:
        writer.close()


async def test_headers_over_the_cap_in_one_piece_are_refused_and_the_connection_closed() -> None:
    """httptools only: h11 parses a head that arrives whole, whatever its size (see above)."""
    async with _serving("httptools") as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_request(MAX_HEADER_BYTES + 1024))
        answer = await _answer(reader)
        assert answer.startswith(b"HTTP/1.1 431 "), answer
        assert b"exceed 16 KiB" in answer
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed
        writer.close()


async def test_a_huge_header_sent_slowly_is_cut_off_early(served: tuple[str, int]) -> None:
    """2 MB of one header in 8 KiB pieces: the server stops reading long before the end."""
    _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nhost: test\r\nx-padding: ")
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < 2 * 1024 * 1024 and not reader.at_eof():
            writer.write(b"a" * 8192)
            await writer.drain()
            sent += 8192
            await asyncio.sleep(0.001)
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(reader.read(65536), 0.001) == b"":
                    break
    assert sent < 256 * 1024, f"the server read {sent} bytes of one header"
    writer.close()
