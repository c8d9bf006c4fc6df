"""The HTTP server's limits: body size, read timeouts, security headers, on every endpoint.

faust builds its aiohttp ``Application`` from the public ``web_application_options`` setting
(:func:`server_options`, passed by the composition root) and runs it under an ``AppRunner`` that
takes no options; aiohttp's own ``handler_args`` carries the connection settings through. Then:

- headers: aiohttp closes a connection that has not delivered a whole request within
  ``keepalive_timeout`` of connecting (or of the previous answer), so a client sending its headers
  a byte a second is cut off after ``STREAMPROC_WEB_READ_TIMEOUT`` (no answer: there is no
  request to answer);
- bodies: :func:`body_limits` reads every body before the view runs, at most ``MAX_BODY`` bytes
  (413, refused from ``Content-Length`` before reading when it says more) within the read timeout
  (408), so no view can be held by a slow or huge body and none needs to care;
- :func:`security_headers` adds nosniff, ``X-Frame-Options: DENY``, ``Referrer-Policy`` and a
  restrictive default CSP to every answer (the page sets its own, stricter for its form).

The bodies are read on the event loop but cost it only what arrives: a byte-a-second client
costs a wake-up a second; a 10 MB body is refused after its first 64 KiB.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from streamproc.metrics import Metrics
from streamproc.settings import Settings
from streamproc.web.validation import MAX_BODY

LINGER = 2.0  # seconds spent draining a refused body so the client can read our answer
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def server_options(settings: Settings) -> dict[str, Any]:
    """faust's ``web_application_options``: the body limit and the connection timeouts."""
    return {
        "client_max_size": MAX_BODY,
        "handler_args": {
            "keepalive_timeout": settings.web_read_timeout,
            "lingering_time": LINGER,
            "max_headers": 64,
        },
    }


def install(application: web.Application, settings: Settings, metrics: Metrics) -> None:
    """Add the middlewares to faust's aiohttp application (before the server starts)."""
    application.middlewares.append(security_headers)
    application.middlewares.append(body_limits(settings.web_read_timeout, metrics))


def _refusal(status: int, error: str, message: str) -> web.Response:
    response = web.Response(
        status=status,
        text=json.dumps({"error": error, "message": message}),
        content_type="application/json",
    )
    response.force_close()  # the rest of the body is not worth reading on this connection
    return response


def body_limits(read_timeout: float, metrics: Metrics) -> Callable[..., Awaitable[Any]]:
    """Middleware: every body is read whole, at most MAX_BODY bytes, within ``read_timeout``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            metrics.http_rejected.labels("413").inc()
            return _refusal(413, "body_too_large", f"at most {MAX_BODY} bytes")
        if request.body_exists:
            try:
                async with asyncio.timeout(read_timeout):
                    await request.read()  # kept by aiohttp: request.read() in the view is free
            except web.HTTPRequestEntityTooLarge:
                metrics.http_rejected.labels("413").inc()
                return _refusal(413, "body_too_large", f"at most {MAX_BODY} bytes")
            except TimeoutError:
                metrics.http_rejected.labels("408").inc()
                return _refusal(
                    408, "request_timeout", f"the body did not arrive within {read_timeout:g} s"
                )
        return await handler(request)

    return middleware


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Middleware: the base security headers on every answer (a view's own values win)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # aiohttp's 404/405 answers
        for name, value in BASE_HEADERS.items():
            exc.headers.setdefault(name, value)
        raise
    for name, value in BASE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
