"""Plumbing shared by the API views: owner routing (with the body), error guard, JSON bodies.

faust's ``table_route`` forwards method, headers and URL but drops the request body, so PUT, POST
and the webhook are forwarded by :func:`forward_to_owner`, which sends the body along. A
forwarded request carries ``X-Streamproc-Forwarded: <client address> <MAC>`` and is always
answered where it lands, so a disagreement about ownership during a rebalance cannot bounce a
request around. The MAC (keyed from the secret key every worker shares) makes the marker
unforgeable: the owner can trust the client address in it for per-address failure budgets, and a
client cannot claim to be a worker.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web as aioweb
from faust.web import Request, Response, View
from yarl import URL

from streamproc.web.validation import MAX_BODY, BodyError

if TYPE_CHECKING:
    import faust

    from streamproc.contracts import IntegrationConfig

log = logging.getLogger("streamproc.web")
FORWARDED = "X-Streamproc-Forwarded"
_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}
# what the owner's answer keeps on its way back (besides Content-Type)
_PASSED_BACK = (
    "Retry-After",
    "WWW-Authenticate",
    "Location",
    "Content-Security-Policy",
    "Cache-Control",
)

Handler = Callable[..., Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """Answer BodyError with its JSON and anything unexpected with a bare 500 JSON.

    The log line names the view and the exception type with a traceback of code locations only
    (no exception message, which could quote a request value such as a secret).
    """

    @functools.wraps(handler)
    async def wrapper(view: View, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(view, request, *args, **kwargs)
        except BodyError as err:
            return view.json(err.body, status=err.status)
        except aioweb.HTTPException as exc:
            return view.json({"error": "http_error", "message": exc.reason}, status=exc.status)
        except Exception as exc:
            where = "".join(traceback.format_tb(exc.__traceback__)[-6:])
            log.error(
                "view %s %s failed with %s\n%s",
                request.method,
                type(view).__name__,
                type(exc).__name__,
                where,
            )
            return view.json({"error": "internal_error"}, status=500)

    return wrapper


async def read_body(request: Request) -> bytes:
    """The request body, at most MAX_BODY bytes (BodyError 413 beyond).

    Read already, within the size and time limits, by :func:`streamproc.web.server.body_limits`.
    """
    try:
        raw = await request.read()  # type: ignore[attr-defined]
    except aioweb.HTTPRequestEntityTooLarge:
        raw = b"x" * (MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise BodyError(413, {"error": "body_too_large", "message": f"at most {MAX_BODY} bytes"})
    return bytes(raw)


def _marker_mac(key: bytes, address: str, method: str, path: str) -> str:
    message = "\x00".join(("forwarded", address, method, path)).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def forward_marker(key: bytes, address: str, request: Request) -> str:
    """The ``X-Streamproc-Forwarded`` value vouching that ``address`` sent ``request``."""
    address = address.replace(" ", "")[:100] or "unknown"
    return f"{address} {_marker_mac(key, address, request.method, request.path)}"


def forwarded_from(key: bytes, request: Request) -> str | None:
    """The client address of a request forwarded by a worker; None when not (or not genuine)."""
    address, _, mac = (request.headers.get(FORWARDED) or "").partition(" ")
    if not address or not mac:
        return None
    expected = _marker_mac(key, address, request.method, request.path)
    return address if hmac.compare_digest(mac.encode(), expected.encode()) else None


def _ident(url: URL) -> tuple[str, int]:
    return ((url.host if url.scheme else url.path) or "", int(url.port or 80))


async def forward_to_owner(
    app: faust.App,
    view: View,
    table: faust.Table,
    key: str,
    request: Request,
    body: bytes,
    *,
    forwarding_key: bytes,
) -> Response | None:
    """The owner's answer when another worker owns ``key``; None when this worker must answer."""
    if forwarded_from(forwarding_key, request) is not None:
        return None
    try:
        dest = app.router.key_store(table.name, key)
    except KeyError:
        return view.json(
            {"error": "unavailable", "message": "partitions are being assigned; retry shortly"},
            status=503,
            headers={"Retry-After": "2"},
        )
    if _ident(URL(str(dest))) == _ident(URL(str(app.conf.canonical_url))):
        return None
    dest_url = URL(str(dest))
    url = request.url.with_scheme(dest_url.scheme or "http").with_host(dest_url.host or "")
    url = url.with_port(dest_url.port)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
    headers[FORWARDED] = forward_marker(forwarding_key, request.remote or "unknown", request)
    async with app.http_client.request(
        method=request.method, url=url, headers=headers, data=body or None, allow_redirects=False
    ) as response:
        payload = await response.read()
        out_headers = {"Content-Type": response.headers.get("Content-Type", "application/json")}
        for name in _PASSED_BACK:
            if name in response.headers:
                out_headers[name] = response.headers[name]
        if response.status == 204:
            return view.bytes(b"", status=204)
        return view.bytes(payload, status=response.status, headers=out_headers)


def unauthorized(view: View, scheme: str = "Bearer") -> Response:
    """401 JSON with the matching WWW-Authenticate challenge."""
    return view.json(
        {"error": "unauthorized", "message": "missing or wrong credentials"},
        status=401,
        headers={"WWW-Authenticate": f'{scheme} realm="streamproc"'},
    )


Admit = Callable[[View, Request, str, bytes], Awaitable[Response | None]]
Stored = Callable[[str], "IntegrationConfig | None"]


@dataclass(frozen=True)
class Configured:
    """What every view of a saved integration does first: admit the caller (``admit``: 401, 429,
    or the answer of the worker owning the company), then find the saved config (``stored``)."""

    admit: Admit
    stored: Stored

    async def __call__(
        self,
        view: View,
        request: Request,
        company_id: str,
        body: bytes,
        missing: dict[str, str],
        status: int = 404,
    ) -> IntegrationConfig | Response:
        """The company's saved config, or the answer to give: the admission's, or ``missing``
        with ``status`` when no integration is saved."""
        routed = await self.admit(view, request, company_id, body)
        if routed is not None:
            return routed
        config = self.stored(company_id)
        if config is None:
            return view.json(missing, status=status)
        return config
