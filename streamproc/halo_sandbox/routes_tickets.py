"""Tickets and Actions endpoints: array POST for create/update, filtered enveloped lists."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .common import Ctx, HaloError, contains, empty, not_found, ok, page, path_int
from .tickets import create_action, create_ticket, update_ticket

ARRAY_EXPECTED = (
    "The JSON value could not be converted to System.Collections.Generic.List`1"
    "[HaloAPI.Models.{model}]. Path: $ | LineNumber: 0 | BytePositionInLine: 1."
)


async def _array_body(ctx: Ctx, model: str) -> list[Any]:
    try:
        body = json.loads(await ctx.request.text() or "null")
    except json.JSONDecodeError as exc:
        raise HaloError(f"Invalid JSON: {exc.msg}", "$") from None
    if not isinstance(body, list):
        raise HaloError(ARRAY_EXPECTED.format(model=model), "$")
    if not body:
        raise HaloError("The request body must contain at least one object.", "$")
    return body


async def _post_each(ctx: Ctx, model: str, one: Callable[[Any, int], tuple[dict, bool]]):
    """Apply each element; all-or-nothing so a 400 never leaves half a batch behind."""
    body = await _array_body(ctx, model)
    w = ctx.world
    # Elements change only the tickets they name (an update's id, an action's ticket_id) and
    # add records: those tickets are copied, the rest of the world is kept by reference.
    touched = {t for e in body for t in _ticket_ids(e) if t in w.tickets}
    originals = {t: copy.deepcopy(w.tickets[t]) for t in touched}
    snapshot = (dict(w.tickets), dict(w.actions), w.next_ticket_id, w.next_action_id)
    results: list[tuple[dict, bool]] = []
    try:
        for i, element in enumerate(body):
            results.append(one(element, i))
    except HaloError:
        w.tickets, w.actions, w.next_ticket_id, w.next_action_id = snapshot
        w.tickets.update(originals)
        raise
    created = results[-1][1]
    status = ctx.config.create_status if created else ctx.config.update_status
    if ctx.q_bool("returnall"):
        return ok([r for r, _ in results], status)
    return ok(results[-1][0], status)


def _ticket_ids(element: Any) -> list[int]:
    if not isinstance(element, dict):
        return []
    found = []
    for key in ("id", "ticket_id"):
        with contextlib.suppress(TypeError, ValueError):
            found.append(int(element.get(key)))
    return found


async def post_tickets(ctx: Ctx) -> web.Response:
    w, cfg = ctx.world, ctx.config

    def one(element: Any, i: int) -> tuple[dict, bool]:
        if isinstance(element, dict) and element.get("id") not in (None, 0):
            return w.ticket_view(update_ticket(w, cfg, element, i)), False
        return w.ticket_view(create_ticket(w, cfg, element, i)), True

    return await _post_each(ctx, "Faults", one)


async def get_ticket(ctx: Ctx) -> web.Response:
    t = ctx.world.tickets.get(path_int(ctx))
    if t is None or (t.get("deleted") and ctx.config.deleted_ticket_404):
        return not_found()
    return ok(ctx.world.ticket_view(t))


async def delete_ticket(ctx: Ctx) -> web.Response:
    t = ctx.world.tickets.get(path_int(ctx))
    if t is None:
        return not_found()
    t["deleted"] = True
    return empty(200)


def _ticket_filter(ctx: Ctx) -> Callable[[dict], bool]:
    closed = ctx.config.closed_status_id
    ids = {int(x) for x in ctx.query.get("ticketids", "").split(",") if x.strip().isdigit()}
    eq = {name: ctx.q_int(name) for name in ("status_id", "client_id", "site_id", "user_id")}
    ttype = ctx.q_int("requesttype_id") or ctx.q_int("tickettype_id")
    asset_id = ctx.q_int("asset_id")
    search, supref = ctx.query.get("search"), ctx.query.get("search_supplier_reference")
    open_only, closed_only = ctx.q_bool("open_only"), ctx.q_bool("closed_only")
    want_deleted = ctx.q_bool("deleted")

    def keep(t: dict) -> bool:
        checks = [
            bool(t.get("deleted")) == want_deleted,
            not ids or t["id"] in ids,
            not open_only or t["status_id"] != closed,
            not closed_only or t["status_id"] == closed,
            all(v is None or t.get(k) == v for k, v in eq.items()),
            ttype is None or t.get("tickettype_id") == ttype,
            asset_id is None or any(a["id"] == asset_id for a in t.get("assets", [])),
            not supref or contains(supref, t.get("supplier_reference")),
            not search or contains(search, t["id"], t.get("summary"), t.get("details")),
        ]
        return all(checks)

    return keep


async def list_tickets(ctx: Ctx) -> web.Response:
    keep = _ticket_filter(ctx)
    rows = [ctx.world.ticket_view(t) for t in ctx.world.tickets.values() if keep(t)]
    total, rows = page(ctx, rows, max_page_size=ctx.config.tickets_max_page_size)
    return ok({"record_count": total, "tickets": rows})


async def post_actions(ctx: Ctx) -> web.Response:
    w, cfg = ctx.world, ctx.config
    client_id = ctx.token.client_id if ctx.token else ""

    def one(element: Any, i: int) -> tuple[dict, bool]:
        return create_action(w, cfg, client_id, element, i), True

    return await _post_each(ctx, "Actions", one)


async def list_actions(ctx: Ctx) -> web.Response:
    ticket_id = ctx.q_int("ticket_id")
    rows = [
        a for a in ctx.world.actions.values() if ticket_id is None or a["ticket_id"] == ticket_id
    ]
    total, rows = page(ctx, rows)
    return ok({"record_count": total, "actions": rows})


async def get_action(ctx: Ctx) -> web.Response:
    a = ctx.world.actions.get(path_int(ctx))
    return ok(a) if a else not_found()


ROUTES = [
    ("POST", r"/api/tickets", post_tickets, "edit:tickets"),
    ("GET", r"/api/tickets", list_tickets, "read:tickets"),
    ("GET", r"/api/tickets/(?P<id>\d+)", get_ticket, "read:tickets"),
    ("DELETE", r"/api/tickets/(?P<id>\d+)", delete_ticket, "edit:tickets"),
    ("POST", r"/api/actions", post_actions, "edit:tickets"),
    ("GET", r"/api/actions", list_actions, "read:tickets"),
    ("GET", r"/api/actions/(?P<id>\d+)", get_action, "read:tickets"),
]
