"""A small scriptable Halo look-alike for the client tests (served by conftest fixtures)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from streamproc.halopsa import HaloClientConfig

CLIENT_ID = "fake-client-id"
SECRET = "fake-secret-Zq8vX1b7"  # distinctive so leak checks can search for it

Fault = Callable[[web.Request], Any]


def fast_config(**overrides: Any) -> HaloClientConfig:
    """Client settings for tests: short timeouts and backoff, generous budget."""
    values: dict[str, Any] = {
        "timeout_total": 2.0,
        "timeout_connect": 1.0,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "rate_limit_requests": 10_000,
        "rate_limit_window": 1.0,
        "max_rate_limit_wait": 0.0,
    }
    values.update(overrides)
    return HaloClientConfig(**values)


class FakeHalo:
    """State and behaviour of the fake; tests tweak attributes and queue faults."""

    def __init__(self) -> None:
        self.expires_in = 3600
        self.tokens: dict[str, float] = {}
        self.issued: list[str] = []
        self.authinfo: dict[str, Any] | None = {"auth_url": None}
        self.known_tenant: str | None = None
        self.rate_limit: tuple[int, float] | None = None
        self.retry_after: str | None = None
        self.arrivals: deque[float] = deque()
        self.faults: list[tuple[str, str, Fault]] = []
        self.journal: list[tuple[str, str, dict[str, str], Any]] = []
        self.rows_have_fields = False
        self.ticket_types = [
            {"id": 1, "name": "Incident", "default_sla": 1},
            {"id": 2, "name": "Alert", "sla_id": 2},
            {"id": 3, "name": "NoSla", "default_sla": -1},
        ]
        self.priorities = [
            {"id": f"g{s}{p}", "slaid": s, "priorityid": p, "name": n}
            for s in (1, 2)
            for p, n in ((1, "Critical"), (2, "High"), (3, "Medium"), (4, "Low"))
        ]
        self.statuses = [{"id": 1, "name": "New"}, {"id": 9, "name": "Closed"}]
        self.assets: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.actions: list[dict[str, Any]] = []

    def add_asset(
        self, asset_id: int, serial: str, field: str = "Serial Number", **kw: Any
    ) -> None:
        self.assets[asset_id] = {
            "id": asset_id,
            "inventory_number": f"INV{asset_id}",
            "client_id": 10,
            "site_id": 20,
            "fields": [{"id": 117, "name": field, "value": serial}],
            "users": [],
            **kw,
        }

    def add_user(self, user_id: int, email: str, site_id: int = 20) -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": f"User {user_id}",
            "emailaddress": email,
            "client_id": 10,
            "site_id": site_id,
        }

    def fail(self, method: str, path: str, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` requests to `path` (prefix, any case) with `fault`."""
        self.faults.extend([(method.upper(), path.lower(), fault)] * times)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for m, p, _q, _b in self.journal
            if (method is None or m == method) and (path is None or p.lower() == path.lower())
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        path = request.path.lower()
        self.journal.append((request.method, request.path, dict(request.query), body))
        now = time.monotonic()
        if self.rate_limit is not None:
            limit, window = self.rate_limit
            while self.arrivals and self.arrivals[0] <= now - window:
                self.arrivals.popleft()
            if len(self.arrivals) >= limit:
                headers = {"Retry-After": self.retry_after} if self.retry_after else {}
                return web.Response(status=429, text="Rate Limit Reached", headers=headers)
            self.arrivals.append(now)
        for i, (method, prefix, fault) in enumerate(self.faults):
            if method == request.method and path.startswith(prefix):
                del self.faults[i]
                result = fault(request)
                return await result if asyncio.iscoroutine(result) else result
        if path == "/api/authinfo":
            if self.authinfo is None:
                return web.Response(status=404)
            base = str(request.url.origin())
            path_part = self.authinfo.get("auth_url") or "/auth"
            return web.json_response({**self.authinfo, "auth_url": base + path_part})
        if path.endswith("/token"):
            return self.token(request, body)
        auth = request.headers.get("Authorization", "")
        expiry = self.tokens.get(auth.removeprefix("Bearer "))
        if expiry is None or expiry < now:
            return web.Response(status=401)
        return self.api(request, path, body)

    def token(self, request: web.Request, body: str) -> web.Response:
        form = dict(request.query) | {k: v for k, v in _form(body).items()}
        tenant = request.query.get("tenant")
        if self.known_tenant is not None and tenant != self.known_tenant:
            return web.Response(status=500, text="Internal Server Error")
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != SECRET:
            err = {
                "error": "invalid_client",
                "error_description": "The specified client credentials are invalid.",
            }
            return web.json_response(err, status=401)
        if form.get("scope") not in ("all", "read:tickets"):
            return web.json_response({"error": "invalid_scope"}, status=400)
        token = "tok-" + secrets.token_hex(8)
        self.tokens[token] = time.monotonic() + self.expires_in
        self.issued.append(token)
        return web.json_response(
            {"token_type": "Bearer", "access_token": token, "expires_in": self.expires_in}
        )

    def api(self, request: web.Request, path: str, body: str) -> web.Response:
        q = request.query
        route = path.removeprefix("/api/").split("/")
        if request.method == "POST":
            return self.post(route[0], json.loads(body), returnall=q.get("returnall") == "true")
        if route == ["tickettype"]:
            return web.json_response(self.ticket_types)
        if route == ["priority"]:
            sla = q.get("slaid")
            return web.json_response([p for p in self.priorities if sla in (None, str(p["slaid"]))])
        if route == ["status"]:
            return web.json_response(self.statuses)
        if len(route) == 2:
            table = {"asset": self.assets, "tickets": self.tickets, "users": self.users}[route[0]]
            record = table.get(int(route[1]))
            return web.json_response(record) if record else web.Response(status=404)
        if route == ["asset"]:
            needle = q.get("search", "").lower()
            rows = [
                {
                    k: v
                    for k, v in a.items()
                    if self.rows_have_fields or k not in ("fields", "users")
                }
                for a in self.assets.values()
                if needle in json.dumps(a).lower()
            ]
            return web.json_response({"record_count": len(rows), "assets": rows})
        if route == ["users"]:
            needle = q.get("search", "").lower()
            rows = [u for u in self.users.values() if needle in u["emailaddress"].lower()]
            return web.json_response({"record_count": len(rows), "users": rows})
        if route == ["tickets"]:
            rows = list(self.tickets.values())
            if "ticketids" in q:
                ids = {int(i) for i in q["ticketids"].split(",")}
                rows = [t for t in rows if t["id"] in ids]
            if "search_supplier_reference" in q:
                ref = q["search_supplier_reference"]
                rows = [t for t in rows if ref in t.get("supplier_reference", "")]
            return web.json_response({"record_count": len(rows), "tickets": rows[:100]})
        return web.Response(status=404)

    def post(self, resource: str, items: Any, *, returnall: bool = False) -> web.Response:
        if not isinstance(items, list):
            return web.Response(status=400, text="Body must be an array")
        last: dict[str, Any] = {}
        records = []
        for item in items:
            if resource == "tickets" and item.get("summary") == "refuse me":
                return web.Response(status=400, text="Summary refused")
            if resource == "tickets" and "id" in item:
                last = self.tickets[item["id"]]
                last.update(item)
                if item.get("status_id") == 9:
                    last["hasbeenclosed"] = True
            elif resource == "tickets":
                last = {"id": 1000 + len(self.tickets), "status_id": 1, **item}
                self.tickets[last["id"]] = last
            else:
                last = {"id": 500 + len(self.actions), **item}
                self.actions.append(last)
                if item.get("new_status") == 9:
                    self.tickets[item["ticket_id"]].update(status_id=9, hasbeenclosed=True)
            records.append(last)
        return web.json_response(records if returnall else last, status=201)


def _form(body: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body))
