"""The aiohttp application: one catch-all route and our own case-insensitive dispatcher.

aiohttp's router is case-sensitive, while Halo (ASP.NET) is not and real clients mix ``/Tickets``
and ``/tickets``; a small regex table over the lower-cased path also makes the ``/t/{tenant}``
prefix trivial.  Every API request runs the same pipeline: identify client → rate limit →
faults → auth/scope → handler → journal.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import admin, auth, routes_lookup, routes_ref, routes_tickets
from .common import Ctx, HaloError, empty, error_response
from .config import SandboxConfig
from .limiter import retry_after_header
from .tenant import DEFAULT_TENANT, Tenant

Handler = Callable[[Ctx], Awaitable[web.Response]]
Route = tuple[str, re.Pattern[str], Handler, str | None]

AUTH_ROUTES = [
    ("GET", r"/api/authinfo", auth.authinfo, None),
    ("POST", r"/auth/token", auth.token, None),
    ("POST", r"/token", auth.token, None),
    ("GET", r"/auth/\.well-known/openid-configuration", auth.openid_configuration, None),
]
PUBLIC = {auth.authinfo, auth.token, auth.openid_configuration}


def _compile(table: list[tuple[str, str, Handler, str | None]]) -> list[Route]:
    return [(m, re.compile(f"^{p}$"), h, perm) for m, p, h, perm in table]


API_ROUTES = _compile(
    AUTH_ROUTES + routes_ref.ROUTES + routes_lookup.ROUTES + routes_tickets.ROUTES
)
ADMIN_ROUTES = _compile(admin.ROUTES)


class Sandbox:
    """All tenants of one process; tenants are created on first use from the base settings."""

    def __init__(self, config: SandboxConfig, seed: str | None) -> None:
        self.config = config
        self.seed = seed
        self.tenants: dict[str, Tenant] = {DEFAULT_TENANT: Tenant(DEFAULT_TENANT, config, seed)}

    def tenant(self, name: str) -> Tenant:
        if name not in self.tenants:
            self.tenants[name] = Tenant(name, self.config, self.seed)
        return self.tenants[name]


SANDBOX_KEY = web.AppKey("halo_sandbox", Sandbox)


def create_app(config: SandboxConfig | None = None, seed: str | None = "demo") -> web.Application:
    """A sandbox app; ``seed`` "demo" (default) or None/"empty" (reference data and apps only)."""
    app = web.Application()
    app[SANDBOX_KEY] = Sandbox(config or SandboxConfig(), seed)
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app


def _split_tenant(path: str) -> tuple[str, str, str]:
    """("acme", "/api/x", "/t/acme") for "/t/acme/api/x"; root paths are the default tenant."""
    if path.lower().startswith("/t/"):
        parts = path.split("/", 3)
        name = parts[2].lower() or DEFAULT_TENANT
        return name, "/" + (parts[3] if len(parts) > 3 else ""), f"/t/{parts[2]}"
    return DEFAULT_TENANT, path, ""


def _match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict, bool]:
    """(route, params, path_known); path_known lets us answer 405 rather than 404."""
    known = False
    for route in routes:
        m = route[1].match(path)
        if m:
            known = True
            if route[0] == method:
                return route, m.groupdict(), True
    return None, {}, known


async def _dispatch(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX_KEY]
    name, rest, prefix = _split_tenant(request.path)
    lower = rest.lower().rstrip("/") or "/"
    admin_path = lower == "/_sandbox" or lower.startswith("/_sandbox/")
    route, params, known = _match(ADMIN_ROUTES if admin_path else API_ROUTES, request.method, lower)
    ctx = Ctx(
        request=request,
        tenant=sandbox.tenant(name),
        base_url=f"{request.url.origin()}{prefix}",
        params=params,
        query={k.lower(): v for k, v in request.query.items()},
    )
    if admin_path:
        if route is None:
            return web.json_response(
                {"error": "no such sandbox route"}, status=405 if known else 404
            )
        try:
            return await route[2](ctx)
        except (json.JSONDecodeError, ValueError, HaloError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
    return await _api(ctx, route, rest, lower, known)


async def _api(ctx: Ctx, route: Route | None, rest: str, lower: str, known: bool) -> web.Response:
    request, tenant = ctx.request, ctx.tenant
    started = time.monotonic()
    client_id = await _identify(ctx, route)
    applied: list[str] = []
    resp: web.Response | None = None
    drop = False
    lost = None
    cfg = ctx.config
    budget_key = "instance" if cfg.rate_limit_per == "instance" else client_id
    wait = tenant.limiter.hit(budget_key, cfg.rate_limit, cfg.rate_window) if client_id else None
    if wait is not None:
        resp = _rate_limited(ctx, wait)
    else:
        for fault in tenant.faults.take(client_id, lower, request.method):
            applied.append(fault.kind)
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "lost_reply":
                lost = fault
            elif resp is None and not drop:
                if fault.kind == "drop_connection":
                    drop = True
                else:
                    resp = _fault_response(ctx, fault.kind, fault.status)
    if resp is None and not drop:
        if request.method == "POST" and lower == "/api/tickets":
            resp, overlapped = await _create(ctx, route, lower, known)
            if overlapped:
                applied.append("overlapping_create")
        else:
            resp = await _handle(ctx, route, lower, known)
        if lost is not None:
            if lost.status:
                resp = web.Response(status=lost.status, text="Bad Gateway")
            else:
                drop = True
    status = None if drop else resp.status if resp is not None else None
    tenant.record(
        method=request.method,
        path=rest,
        query=dict(request.query),
        status=status,
        client_id=client_id,
        faults=applied,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )
    if drop or resp is None:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=502)
    return resp


OVERLAP_MESSAGE = (
    "An error occurred while assigning the ticket number: another ticket is being created."
)


async def _create(
    ctx: Ctx, route: Route | None, lower: str, known: bool
) -> tuple[web.Response, bool]:
    """A ticket create (or update) taking ``create_seconds``; one arriving while another runs
    on the instance fails as Halo's ticket numbering does (when configured to)."""
    tenant, cfg = ctx.tenant, ctx.config
    if tenant.creating and cfg.overlapping_creates == "fail":
        tenant.overlapped_creates += 1
        return web.Response(status=500, text=OVERLAP_MESSAGE), True
    tenant.creating += 1
    try:
        if cfg.create_seconds:
            await asyncio.sleep(cfg.create_seconds)
        return await _handle(ctx, route, lower, known), False
    finally:
        tenant.creating -= 1


async def _identify(ctx: Ctx, route: Route | None) -> str | None:
    """Client id of the request: the form of a token call, else the bearer token's owner."""
    if route is not None and route[2] is auth.token:
        form = await ctx.request.post()
        cid = str(form.get("client_id", ""))
        if not cid and ctx.request.headers.get("Authorization", "").startswith("Basic "):
            cid = auth._basic(ctx.request.headers["Authorization"])[0]
        return cid or None
    ctx.token = ctx.tenant.token(auth.bearer(ctx.request))
    return ctx.token.client_id if ctx.token else None


async def _handle(ctx: Ctx, route: Route | None, lower: str, known: bool) -> web.Response:
    if route is None:
        if known:
            return empty(405)
        unauthenticated = lower.startswith("/api/") and auth.check_token(ctx) is not None
        return empty(401 if unauthenticated else 404)
    handler, needed = route[2], route[3]
    if handler not in PUBLIC:
        denied = auth.check_token(ctx)
        if denied is not None:
            return denied
        if not auth.allowed(ctx, needed):
            return empty(403)
    try:
        return await handler(ctx)
    except HaloError as err:
        return error_response(err, ctx.config.error_shape)


def _rate_limited(ctx: Ctx, wait: float) -> web.Response:
    headers = {"Retry-After": retry_after_header(wait)} if ctx.config.retry_after else None
    return web.Response(status=429, text=ctx.config.rate_limit_message(), headers=headers)


def _fault_response(ctx: Ctx, kind: str, status: int | None) -> web.Response:
    if kind == "rate_limit":
        return _rate_limited(ctx, ctx.config.rate_window)
    if kind == "token_expiry":
        if ctx.token is not None:
            bearer = auth.bearer(ctx.request) or ""
            ctx.tenant.tokens.pop(bearer, None)
        return empty(401)
    code = status or 503
    return web.Response(status=code, text="Service Unavailable" if code == 503 else "Server Error")


def run(
    host: str = "127.0.0.1", port: int = 9080, seed: str | None = "demo", **config: Any
) -> None:
    """Serve a sandbox forever (blocking); ``config`` are SandboxConfig fields."""
    app = create_app(SandboxConfig(**config), seed)
    skip_full_collections()
    web.run_app(app, host=host, port=port, print=lambda msg: print(f"halo-sandbox: {msg}"))


def skip_full_collections() -> None:
    """No full garbage collections in a sandbox process.

    Its world (every ticket of a long test or bench run) is plain Python objects, and a full
    collection scans all of them: with some 10,000 tickets it stopped every request for
    100-190 ms, the worst spikes in the tail of bench row 4's ticket path (the worker's own loop
    never lagged 30 ms). Young collections go on; what reaches the old generation is nearly all
    live (full collections here freed a few hundred objects each), so little is kept that could go.
    """
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)
