"""The server's limits on a real aiohttp server built as faust builds it: 413, 408, slow headers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from streamproc.kafka.broker import free_port
from streamproc.metrics import Metrics
from streamproc.settings import Settings
from streamproc.web.common import read_body
from streamproc.web.server import install, server_options
from streamproc.web.validation import MAX_BODY

TIMEOUT = 1.0


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, int, Metrics]]:
    settings = Settings(dev_mode=True, web_read_timeout=TIMEOUT)
    metrics = Metrics()
    app = web.Application(**server_options(settings))  # what faust's driver does with them
    install(app, settings, metrics)
    handled: list[int] = []

    async def echo(request: web.Request) -> web.Response:
        raw = await read_body(request)
        handled.append(len(raw))
        return web.json_response({"bytes": len(raw)})

    app.router.add_route("*", "/echo", echo)
    runner = web.AppRunner(app, access_log=None)  # faust's runner takes no other options
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield "127.0.0.1", port, metrics
    finally:
        await runner.cleanup()


async def raw_request(host: str, port: int, send) -> tuple[bytes, float]:
    """What the server answered (b"" if it hung up) while ``send(writer)`` ran; and when."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    sender = asyncio.create_task(send(writer))
    try:
        answer = await asyncio.wait_for(reader.read(200), 10)
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
    return answer, time.monotonic() - started


async def test_small_bodies_reach_the_view_with_security_headers(server):
    host, port, _ = server
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://{host}:{port}/echo", data=b"x" * 1000) as resp:
            assert resp.status == 200
            assert await resp.json() == {"bytes": 1000}
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        async with session.get(f"http://{host}:{port}/nowhere") as resp:
            assert resp.status == 404
            assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_10_mb_body_is_refused_with_413_without_reading_it(server, chunked):
    host, port, metrics = server
    size = 10 * 1024 * 1024
    head = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    sent = 0

    async def send(writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(f"PUT /echo HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n".encode())
        block = b"x" * 65536
        while sent < size:
            writer.write(b"10000\r\n" + block + b"\r\n" if chunked else block)
            await writer.drain()
            sent += len(block)

    answer, _ = await raw_request(host, port, send)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert sent < size  # answered while the client was still sending
    assert metrics.http_rejected.labels("413")._value.get() == 1


async def test_a_byte_a_second_body_gets_408_after_the_read_timeout(server):
    host, port, metrics = server

    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.3)

    answer, seconds = await raw_request(host, port, send)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert TIMEOUT <= seconds < TIMEOUT + 2
    assert metrics.http_rejected.labels("408")._value.get() == 1


async def test_byte_a_second_headers_are_cut_off_after_the_read_timeout(server):
    host, port, _ = server

    async def send(writer: asyncio.StreamWriter) -> None:
        for byte in b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.3)

    answer, seconds = await raw_request(host, port, send)
    assert answer == b""  # no request arrived, so no answer: the connection is closed
    assert TIMEOUT <= seconds < TIMEOUT + 2


async def test_an_idle_connection_is_closed_too(server):
    host, port, _ = server

    async def send(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    answer, seconds = await raw_request(host, port, send)
    assert answer == b""
    assert seconds < TIMEOUT + 2


def test_the_options_are_the_ones_faust_passes_to_aiohttp():
    options = server_options(Settings(dev_mode=True, web_read_timeout=7))
    assert options["client_max_size"] == MAX_BODY
    assert options["handler_args"]["keepalive_timeout"] == 7
