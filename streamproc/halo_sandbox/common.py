"""Request context, Halo-shaped error responses, query parsing and pagination shared by routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .tenant import Tenant, Token


class HaloError(Exception):
    """A 400 with Halo's message; ``field`` is the model-state key when one applies."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass
class Ctx:
    """What a route handler needs: the request, its tenant, token and lower-cased query."""

    request: web.Request
    tenant: Tenant
    base_url: str
    params: dict[str, str] = field(default_factory=dict)
    token: Token | None = None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def world(self):
        return self.tenant.world

    @property
    def config(self):
        return self.tenant.config

    def q_bool(self, name: str, default: bool = False) -> bool:
        v = self.query.get(name)
        return default if v is None or v == "" else v.lower() in ("true", "1", "yes")

    def q_int(self, name: str) -> int | None:
        v = self.query.get(name)
        if v is None or v == "":
            return None
        try:
            return int(v)
        except ValueError:
            raise HaloError(f"The value '{v}' is not valid for {name}.", name) from None


def error_response(err: HaloError, shape: str) -> web.Response:
    """Render a 400 in the configured shape (plain text, ClassName/Message, or model-state)."""
    if err.status != 400 or shape == "text":
        return web.Response(status=err.status, text=err.message)
    if shape == "classname":
        body: Any = {"ClassName": "System.Exception", "Message": err.message}
    else:
        body = {err.field or "": [err.message]}
    return web.json_response(body, status=err.status)


def empty(status: int) -> web.Response:
    """401/403 carry no body on Halo (reference §4)."""
    return web.Response(status=status)


def ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=json.dumps)


def not_found() -> web.Response:
    return web.Response(status=404)


def path_int(ctx: Ctx, name: str = "id") -> int:
    return int(ctx.params[name])


def page(ctx: Ctx, items: list[Any], max_page_size: int | None = None) -> tuple[int, list[Any]]:
    """Apply ordering, ``pageinate``/``page_size``/``page_no`` or the ``count`` cap.

    Returns (record_count, page) where record_count is always the total number of matches, which
    is what real clients use to compute the number of pages.
    """
    order = ctx.query.get("order")
    if order and items and isinstance(items[0], dict):
        items = sorted(
            items,
            key=lambda r: _sort_key(r.get(order) if order in r else r.get(order.lower())),
            reverse=ctx.q_bool("orderdesc"),
        )
    elif ctx.q_bool("orderdesc") and items:
        items = list(reversed(items))
    total = len(items)
    if ctx.q_bool("pageinate"):
        size = ctx.q_int("page_size") or 50
        if max_page_size is not None and size > max_page_size:
            if ctx.config.tickets_page_size_policy == "error":
                raise HaloError(f"page_size cannot be greater than {max_page_size}", "page_size")
            size = max_page_size
        number = max(1, ctx.q_int("page_no") or 1)
        return total, items[(number - 1) * size : number * size]
    cap = ctx.q_int("count") or ctx.config.default_count
    return total, items[:cap]


def _sort_key(v: Any) -> tuple[int, Any]:
    if v is None:
        return (0, 0)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return (1, v)
    return (2, str(v).lower())


def contains(needle: str, *haystack: Any) -> bool:
    """Case-insensitive substring search, Halo's LIKE '%x%'."""
    n = needle.lower()
    return any(n in str(h).lower() for h in haystack if h is not None)
