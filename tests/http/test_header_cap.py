"""The cap on a request's line and headers, over a real socket, with each parser `serve` can use:
uvicorn with the options `rewards serve` hands it, in front of a one-line app. Then the other
change capped_parser.py makes to httptools: an answer's head and body leave in one send.

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
async def _serving(parser: str, app: Any = _ok) -> AsyncIterator[int]:
    options = uvicorn_options(settings_for("mongomock", None, http_parser=parser))
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="critical", lifespan="off", **options
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


async def _head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)


async def _answer(reader: asyncio.StreamReader) -> bytes:
    head = await _head(reader)
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


async def _varied(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app whose answers take each path through uvicorn's writes."""
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/echo":  # reads its body first: what `expect: 100-continue` waits on
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        length = str(len(body)).encode()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]}
        )
        await send({"type": "http.response.body", "body": body})
    elif path == "/stream":  # no length: chunked, in two parts
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await send({"type": "http.response.body", "body": b"two"})
    elif path == "/empty":  # 204: uvicorn writes an empty body, which sends the head
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/broken":  # fails once its head is out: uvicorn closes the connection
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9")]}
        )
        raise RuntimeError("failed after the head")
    else:
        await _ok(scope, receive, send)


@pytest.fixture
async def varied(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[int, list[bytes]]]:
    """The server's port, and every piece the server wrote to a socket, in order. (Seen on
    asyncio's transport; `rewards serve` runs on uvloop's, which the wrapper reaches the same way.)"""
    sent: list[bytes] = []
    real_write = asyncio.selector_events._SelectorSocketTransport.write  # type: ignore[attr-defined]

    def write(transport: Any, data: bytes) -> None:
        if not data.startswith((b"GET ", b"HEAD ", b"POST ")):  # not this test's own requests
            sent.append(bytes(data))
        real_write(transport, data)

    monkeypatch.setattr(asyncio.selector_events._SelectorSocketTransport, "write", write)  # type: ignore[attr-defined]
    async with _serving("httptools", _varied) as port:
        yield port, sent


@contextlib.asynccontextmanager
async def _sent(
    port: int, request: bytes
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A connection that has sent `request`; closed on the way out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    try:
        yield reader, writer
    finally:
        writer.close()


async def test_an_answer_leaves_in_one_send(varied: tuple[int, list[bytes]]) -> None:
    port, sent = varied
    async with _sent(port, b"GET / HTTP/1.1\r\nhost: test\r\n\r\n") as (reader, _):
        answer = await _answer(reader)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\nok")
    assert sent == [answer]  # head and body together: one send, not two


async def test_two_requests_in_one_packet_get_one_send_each(
    varied: tuple[int, list[bytes]],
) -> None:
    port, sent = varied
    one = b"GET / HTTP/1.1\r\nhost: test\r\n\r\n"
    async with _sent(port, one + one) as (reader, _):
        first, second = await _answer(reader), await _answer(reader)
    assert sent == [first, second]
    assert all(a.endswith(b"ok") for a in sent)


async def test_a_head_request_gets_its_head(varied: tuple[int, list[bytes]]) -> None:
    """No body follows a HEAD answer's head: it is not held back waiting for one."""
    port, _ = varied
    async with _sent(port, b"HEAD / HTTP/1.1\r\nhost: test\r\n\r\n") as (reader, _):
        head = await _head(reader)
    assert head.startswith(b"HTTP/1.1 200") and b"content-length: 2" in head


async def test_100_continue_comes_before_the_body_is_sent(varied: tuple[int, list[bytes]]) -> None:
    port, _ = varied
    request = (
        b"POST /echo HTTP/1.1\r\nhost: test\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n"
    )
    async with _sent(port, request) as (reader, writer):
        assert await _head(reader) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        answer = await _answer(reader)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"hello")


async def test_a_streamed_answer_arrives_whole(varied: tuple[int, list[bytes]]) -> None:
    port, sent = varied
    async with _sent(port, b"GET /stream HTTP/1.1\r\nhost: test\r\n\r\n") as (reader, _):
        head = await _head(reader)
        body = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 5)
    assert b"transfer-encoding: chunked" in head
    assert body == b"3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"
    assert sent[0].startswith(head) and len(sent) == 2  # the head went with the first part


async def test_an_app_failing_after_its_head_closes_the_connection(
    varied: tuple[int, list[bytes]],
) -> None:
    """The head held back still leaves before the connection closes, as uvicorn sent it."""
    port, _ = varied
    async with _sent(port, b"GET /broken HTTP/1.1\r\nhost: test\r\n\r\n") as (reader, _):
        rest = await asyncio.wait_for(reader.read(), 5)  # everything, up to the close
    assert rest.startswith(b"HTTP/1.1 200") and rest.endswith(b"\r\n\r\n")


async def test_a_204_answer_leaves_in_one_send(varied: tuple[int, list[bytes]]) -> None:
    port, sent = varied
    async with _sent(port, b"GET /empty HTTP/1.1\r\nhost: test\r\n\r\n") as (reader, _):
        head = await _head(reader)
    assert head.startswith(b"HTTP/1.1 204")
    assert sent == [head]
