"""Sandbox-only routes under ``/_sandbox/`` (no auth, not rate limited, not journaled).

They let a test act as the Halo technician (close, delete, merge a ticket), look behind the API
(tickets, request journal), inject faults and change settings at runtime.  Errors are JSON
``{"error": ...}`` with 400/404 so they can't be confused with simulated Halo responses.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from .common import Ctx, HaloError, ok, path_int
from .config import SandboxConfig
from .tenant import now_iso
from .tickets import apply_status
from .world import World

RESOLVED_OUTCOME = 4


def _err(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json(ctx: Ctx, default: Any = None) -> Any:
    text = await ctx.request.text()
    if not text.strip():
        return {} if default is None else default
    return json.loads(text)


async def info(ctx: Ctx) -> web.Response:
    t = ctx.tenant
    if t.config.rate_limit_per == "instance":
        usage = {"instance": t.limiter.usage("instance", t.config.rate_window)}
    else:
        usage = {c: t.limiter.usage(c, t.config.rate_window) for c in t.world.apps}
    return ok(
        {
            "tenant": t.name,
            "config": t.config.model_dump(),
            "rate_usage": usage,
            "tickets": len(t.world.tickets),
            "faults": len(t.faults.faults),
            "overlapped_creates": t.overlapped_creates,
        }
    )


async def tickets(ctx: Ctx) -> web.Response:
    w = ctx.world
    rows = [w.ticket_view(t) for t in w.tickets.values()]
    if "client_id" in ctx.query:
        rows = [r for r in rows if str(r["client_id"]) == ctx.query["client_id"]]
    return ok({"record_count": len(rows), "tickets": rows})


def _ticket(ctx: Ctx) -> dict | None:
    return ctx.world.tickets.get(path_int(ctx))


async def ticket_one(ctx: Ctx) -> web.Response:
    t = _ticket(ctx)
    return ok(ctx.world.ticket_view(t)) if t else _err("no such ticket", 404)


def _tech_action(
    w: World,
    ticket_id: int,
    note: str,
    new_status: int,
    *,
    outcome_id: int = RESOLVED_OUTCOME,
    timetaken: float = 0.0,
) -> None:
    """Record what the technician did, as Halo shows it in the ticket's history."""
    outcome = w.outcomes.get(outcome_id, {"outcome": "Resolved"})["outcome"]
    w.actions[w.next_action_id] = {
        "id": w.next_action_id,
        "ticket_id": ticket_id,
        "outcome": outcome,
        "outcome_id": outcome_id,
        "note": note,
        "note_html": note,
        "who": "Technician",
        "hiddenfromuser": False,
        "sendemail": False,
        "datetime": now_iso(),
        "new_status": new_status,
        "timetaken": timetaken,
    }
    w.next_action_id += 1
    if ticket_id in w.tickets:
        w.tickets[ticket_id]["last_update"] = w.tickets[ticket_id]["lastactiondate"] = now_iso()


async def ticket_actions(ctx: Ctx) -> web.Response:
    """A ticket's history (notes, time entries, status changes), oldest first."""
    ticket_id = path_int(ctx)
    rows = [a for a in ctx.world.actions.values() if a["ticket_id"] == ticket_id]
    return ok({"record_count": len(rows), "actions": rows})


TOUCHES = ("note", "time", "status", "assign")


async def touch(ctx: Ctx) -> web.Response:
    """Work on a ticket as a technician would, without closing it (the close policy's
    "touched" signals): ``{"kind": "note" | "time" | "status" | "assign"}``."""
    t = _ticket(ctx)
    if t is None:
        return _err("no such ticket", 404)
    body = await _json(ctx, {})
    kind = body.get("kind", "note")
    if kind not in TOUCHES:
        return _err(f"kind must be one of {TOUCHES}")
    w = ctx.world
    if kind == "note":
        _tech_action(w, t["id"], str(body.get("note", "Looking into it")), 0, outcome_id=7)
    elif kind == "time":
        _tech_action(w, t["id"], "", 0, outcome_id=23, timetaken=float(body.get("hours", 0.5)))
    elif kind == "status":
        try:
            apply_status(w, ctx.config, t, int(body.get("status_id", 2)), 0)
        except HaloError as exc:
            return _err(exc.message)
    else:
        t["agent_id"] = int(body.get("agent_id", 5))
    t["last_update"] = now_iso()
    return ok(w.ticket_view(t))


async def close(ctx: Ctx) -> web.Response:
    """Close as a technician would: closed status (or given one), closure note, an action."""
    t = _ticket(ctx)
    if t is None:
        return _err("no such ticket", 404)
    body = await _json(ctx)
    status = int(body.get("status_id", ctx.config.closed_status_id))
    note = str(body.get("note", "Closed by technician"))
    try:
        apply_status(ctx.world, ctx.config, t, status, 0)
    except HaloError as exc:
        return _err(exc.message)
    t["closure_note"] = note
    t["last_update"] = t["lastactiondate"] = now_iso()
    _tech_action(ctx.world, t["id"], note, status)
    return ok(ctx.world.ticket_view(t))


async def reopen(ctx: Ctx) -> web.Response:
    t = _ticket(ctx)
    if t is None:
        return _err("no such ticket", 404)
    body = await _json(ctx)
    status = int(body.get("status_id", 2))
    apply_status(ctx.world, ctx.config, t, status, 0)
    _tech_action(ctx.world, t["id"], str(body.get("note", "Re-opened")), status)
    return ok(ctx.world.ticket_view(t))


async def delete(ctx: Ctx) -> web.Response:
    t = _ticket(ctx)
    if t is None:
        return _err("no such ticket", 404)
    t["deleted"] = True
    t["last_update"] = now_iso()
    return ok(ctx.world.ticket_view(t))


async def merge(ctx: Ctx) -> web.Response:
    """Merge into another ticket: the source gets merged_into_id and is closed."""
    t = _ticket(ctx)
    body = await _json(ctx)
    into = body.get("into")
    if t is None or into not in ctx.world.tickets or into == t["id"]:
        return _err("need an existing ticket and a different existing 'into' ticket", 404)
    t["merged_into_id"] = into
    apply_status(ctx.world, ctx.config, t, ctx.config.closed_status_id, 0)
    _tech_action(ctx.world, t["id"], f"Merged into {into}", ctx.config.closed_status_id)
    return ok(ctx.world.ticket_view(t))


async def journal(ctx: Ctx) -> web.Response:
    rows = list(ctx.tenant.journal)
    cid, path = ctx.query.get("client_id"), ctx.query.get("path")
    since = ctx.q_int("since") or 0
    rows = [r for r in rows if r["seq"] > since and (cid is None or r["client_id"] == cid)]
    if path:
        rows = [r for r in rows if path.lower() in r["path"].lower()]
    if ctx.query.get("method"):
        rows = [r for r in rows if r["method"] == ctx.query["method"].upper()]
    return ok({"record_count": len(rows), "entries": rows})


async def clear_journal(ctx: Ctx) -> web.Response:
    ctx.tenant.journal.clear()
    return ok({"cleared": True})


async def faults(ctx: Ctx) -> web.Response:
    return ok({"faults": [f.model_dump() for f in ctx.tenant.faults.faults]})


async def add_faults(ctx: Ctx) -> web.Response:
    body = await _json(ctx)
    specs = body if isinstance(body, list) else [body]
    try:
        added = [ctx.tenant.faults.add(s) for s in specs]
    except (ValidationError, TypeError) as exc:
        return _err(str(exc))
    return ok({"faults": [f.model_dump() for f in added]}, 201)


async def clear_faults(ctx: Ctx) -> web.Response:
    return ok({"removed": ctx.tenant.faults.clear(ctx.query.get("client_id"))})


async def reset(ctx: Ctx) -> web.Response:
    ctx.tenant.reset()
    return ok({"reset": True, "tenant": ctx.tenant.name})


async def get_config(ctx: Ctx) -> web.Response:
    return ok(ctx.config.model_dump())


async def set_config(ctx: Ctx) -> web.Response:
    body = await _json(ctx)
    try:
        ctx.tenant.config = SandboxConfig.model_validate({**ctx.config.model_dump(), **body})
    except ValidationError as exc:
        return _err(str(exc))
    return ok(ctx.tenant.config.model_dump())


async def get_records(ctx: Ctx) -> web.Response:
    kind = ctx.params["kind"]
    if kind not in World.KINDS:
        return _err(f"kind must be one of {World.KINDS}", 404)
    return ok(list(getattr(ctx.world, kind).values()))


async def put_records(ctx: Ctx) -> web.Response:
    """Upsert raw records (e.g. rename an asset-type field, add an app with permissions)."""
    kind = ctx.params["kind"]
    if kind not in World.KINDS:
        return _err(f"kind must be one of {World.KINDS}", 404)
    body = await _json(ctx)
    try:
        rows = [ctx.world.upsert(kind, r) for r in (body if isinstance(body, list) else [body])]
    except (KeyError, TypeError, ValueError) as exc:
        return _err(f"bad record: {exc!r}")
    return ok(rows)


ROUTES = [
    ("GET", r"/_sandbox", info, None),
    ("GET", r"/_sandbox/tickets", tickets, None),
    ("GET", r"/_sandbox/tickets/(?P<id>\d+)", ticket_one, None),
    ("POST", r"/_sandbox/tickets/(?P<id>\d+)/close", close, None),
    ("POST", r"/_sandbox/tickets/(?P<id>\d+)/reopen", reopen, None),
    ("POST", r"/_sandbox/tickets/(?P<id>\d+)/touch", touch, None),
    ("GET", r"/_sandbox/tickets/(?P<id>\d+)/actions", ticket_actions, None),
    ("POST", r"/_sandbox/tickets/(?P<id>\d+)/delete", delete, None),
    ("POST", r"/_sandbox/tickets/(?P<id>\d+)/merge", merge, None),
    ("GET", r"/_sandbox/journal", journal, None),
    ("DELETE", r"/_sandbox/journal", clear_journal, None),
    ("GET", r"/_sandbox/faults", faults, None),
    ("POST", r"/_sandbox/faults", add_faults, None),
    ("DELETE", r"/_sandbox/faults", clear_faults, None),
    ("POST", r"/_sandbox/reset", reset, None),
    ("GET", r"/_sandbox/config", get_config, None),
    ("POST", r"/_sandbox/config", set_config, None),
    ("GET", r"/_sandbox/records/(?P<kind>[a-z]+)", get_records, None),
    ("POST", r"/_sandbox/records/(?P<kind>[a-z]+)", put_records, None),
]
