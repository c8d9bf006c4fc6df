"""Reference data: Priority, TicketType, Status, Outcome, agent — all **bare arrays** on Halo."""

from __future__ import annotations

from aiohttp import web

from .common import Ctx, not_found, ok, path_int


async def priorities(ctx: Ctx) -> web.Response:
    sla = ctx.q_int("slaid")
    rows = [p for p in ctx.world.priorities if sla is None or p["slaid"] == sla]
    return ok(rows)


async def priority_one(ctx: Ctx) -> web.Response:
    key = ctx.params["id"]
    found = next((p for p in ctx.world.priorities if p["id"] == key), None)
    return ok(found) if found else not_found()


def _tickettype_public(tt: dict) -> dict:
    return {k: v for k, v in tt.items() if k not in ("requires_approval", "mandatory_fields")}


async def tickettypes(ctx: Ctx) -> web.Response:
    return ok([_tickettype_public(t) for t in ctx.world.tickettypes.values()])


async def tickettype_one(ctx: Ctx) -> web.Response:
    tt = ctx.world.tickettypes.get(path_int(ctx))
    return ok(_tickettype_public(tt)) if tt else not_found()


async def statuses(ctx: Ctx) -> web.Response:
    rows = list(ctx.world.statuses.values())
    if ctx.q_bool("excludeclosed"):
        rows = [s for s in rows if s["id"] != ctx.config.closed_status_id]
    return ok(rows)


async def status_one(ctx: Ctx) -> web.Response:
    s = ctx.world.statuses.get(path_int(ctx))
    return ok(s) if s else not_found()


async def outcomes(ctx: Ctx) -> web.Response:
    return ok(list(ctx.world.outcomes.values()))


async def agents(ctx: Ctx) -> web.Response:
    return ok([{"id": 1, "name": "API Agent", "email": "api-agent@sandbox.invalid"}])


ROUTES = [
    ("GET", r"/api/priority", priorities, "read:tickets"),
    ("GET", r"/api/priority/(?P<id>[^/]+)", priority_one, "read:tickets"),
    ("GET", r"/api/tickettype", tickettypes, "read:tickets"),
    ("GET", r"/api/tickettype/(?P<id>\d+)", tickettype_one, "read:tickets"),
    ("GET", r"/api/status", statuses, "read:tickets"),
    ("GET", r"/api/status/(?P<id>\d+)", status_one, "read:tickets"),
    ("GET", r"/api/outcome", outcomes, "read:tickets"),
    ("GET", r"/api/agent", agents, "read:tickets"),
]
