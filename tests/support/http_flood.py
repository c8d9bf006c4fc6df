"""Hostile HTTP clients for load tests, run in their own process (``python -m`` this module).

A flood in the test process would compete with the latency measurement for its event loop, so
the load test starts this module as a subprocess with a JSON plan on stdin and reads a JSON
report from stdout: the status of every request, by kind.

Kinds of client (all against one worker):
- ``webhook``: ``clients`` connections that post a delivery with a wrong Basic password, each
  sending the next request as soon as the previous answer arrived;
- ``oversized``: a request whose body is ``size`` bytes, sent with a Content-Length or chunked,
  the status read while the body is still being sent;
- ``slow_body``: headers at once, then the body at one byte a second;
- ``slow_headers``: the request line and headers at one byte a second.

Raw sockets for the last three: an HTTP client library would buffer or refuse what they send.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import sys
import time
from typing import Any

import aiohttp

CHUNK = 64 * 1024
GIVE_UP = 60.0  # a request still unanswered after this is reported as "no answer"


def _status_of(line: bytes) -> str:
    parts = line.split()
    return parts[1].decode() if len(parts) >= 2 and parts[1].isdigit() else "garbled"


async def _answer(reader: asyncio.StreamReader) -> str:
    """The status of the first response, or "closed" when the server hung up without one."""
    line = await reader.readline()
    return _status_of(line) if line else "closed"


def _head(method: str, path: str, host: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _with_writer(
    host: str, port: int, send: Any, *, limit: float = GIVE_UP
) -> tuple[str, float]:
    """Open a connection, run ``send(writer)`` while waiting for the answer; (status, seconds)."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    sender = asyncio.create_task(send(writer))
    try:
        status = await asyncio.wait_for(_answer(reader), limit)
    except TimeoutError:
        status = "no answer"
    except (ConnectionError, OSError):
        status = "reset"
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)
    return status, time.monotonic() - started


async def oversized(
    host: str, port: int, method: str, path: str, headers: dict[str, str], size: int, chunked: bool
) -> tuple[str, float]:
    """Send a ``size``-byte body; the server should answer 413 long before the end."""
    head = {**headers, "Content-Type": headers.get("Content-Type", "application/json")}
    head |= {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(size)}

    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(method, path, f"{host}:{port}", head))
        block = b"x" * CHUNK
        for _ in range(size // CHUNK):
            writer.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    return await _with_writer(host, port, send)


async def slow_body(
    host: str, port: int, method: str, path: str, headers: dict[str, str], length: int = 200
) -> tuple[str, float]:
    """Headers at once, then the body one byte a second."""

    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(
            _head(method, path, f"{host}:{port}", {**headers, "Content-Length": str(length)})
        )
        await writer.drain()
        for _ in range(length):
            await asyncio.sleep(1)
            writer.write(b"{")
            await writer.drain()

    return await _with_writer(host, port, send)


async def slow_headers(host: str, port: int, path: str) -> tuple[str, float]:
    """The request line and headers one byte a second (a request that never arrives)."""
    request = _head("GET", path, f"{host}:{port}", {"X-Slow": "x" * 200})

    async def send(writer: asyncio.StreamWriter) -> None:
        for byte in request:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1)

    return await _with_writer(host, port, send)


async def webhook_flood(
    base: str, company: str, user: str, clients: int, seconds: float
) -> dict[str, Any]:
    """``clients`` connections posting deliveries with a wrong password, back to back."""
    auth = base64.b64encode(f"{user}:wrong-password-for-the-flood".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}
    url = f"{base}/api/v1/halopsa/webhook/{company}"
    statuses: collections.Counter[str] = collections.Counter()
    retry_after_missing = 0
    deadline = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal retry_after_missing
        while time.monotonic() < deadline:
            try:
                async with session.post(url, data=b'{"object_id": 1}', headers=headers) as resp:
                    await resp.read()
                    statuses[str(resp.status)] += 1
                    if resp.status == 429 and not resp.headers.get("Retry-After"):
                        retry_after_missing += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                statuses[type(exc).__name__] += 1

    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return {"statuses": dict(statuses), "retry_after_missing": retry_after_missing}


async def repeat(every: float, seconds: float, make: Any) -> list[tuple[str, float]]:
    """Start ``make()`` every ``every`` seconds for ``seconds``; all their (status, seconds)."""
    tasks = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tasks.append(asyncio.create_task(make()))
        await asyncio.sleep(every)
    return list(await asyncio.gather(*tasks))


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    """Everything in ``plan`` at once, for ``plan["seconds"]``."""
    host, port, seconds = plan["host"], plan["port"], plan["seconds"]
    jobs: dict[str, Any] = {
        "webhook": webhook_flood(
            f"http://{host}:{port}", plan["company"], plan["user"], plan["clients"], seconds
        )
    }
    for n, spec in enumerate(plan.get("oversized", [])):
        jobs[f"oversized-{n}"] = repeat(
            spec.get("every", 2.0),
            seconds,
            lambda s=spec: oversized(
                host, port, s["method"], s["path"], s["headers"], s["size"], s["chunked"]
            ),
        )
    for n, spec in enumerate(plan.get("slow_body", [])):
        jobs[f"slow_body-{n}"] = repeat(
            spec.get("every", 2.0),
            seconds,
            lambda s=spec: slow_body(host, port, s["method"], s["path"], s["headers"]),
        )
    for n, spec in enumerate(plan.get("slow_headers", [])):
        jobs[f"slow_headers-{n}"] = repeat(
            spec.get("every", 2.0), seconds, lambda s=spec: slow_headers(host, port, s["path"])
        )
    results = await asyncio.gather(*jobs.values())
    return dict(zip(jobs, results, strict=True))


if __name__ == "__main__":
    report = asyncio.run(run(json.load(sys.stdin)))
    json.dump(report, sys.stdout)
