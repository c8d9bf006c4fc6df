"""Customer and asset lookups: Asset, Users, Client, Site — enveloped, paginated lists.

Asset ``search`` covers inventory_number, the key fields and the values of fields flagged
searchable, so a serial lookup works through ``search`` even after the field is renamed (the
*name* changes, not the value) — which is why clients must post-filter by field name.
"""

from __future__ import annotations

from aiohttp import web

from .common import Ctx, contains, not_found, ok, page, path_int


def _active(ctx: Ctx, rows: list[dict]) -> list[dict]:
    if ctx.q_bool("includeinactive"):
        return rows
    return [r for r in rows if not r.get("inactive")]


async def assets(ctx: Ctx) -> web.Response:
    w = ctx.world
    rows = _active(ctx, list(w.assets.values()))
    for name in ("client_id", "site_id", "user_id", "assettype_id"):
        want = ctx.q_int(name)
        if want is not None:
            rows = [a for a in rows if a.get(name) == want]
    search = ctx.query.get("search")
    if search:
        rows = [a for a in rows if _asset_matches(ctx, a, search)]
    inv = ctx.query.get("inventory_number")
    if inv:
        rows = [a for a in rows if a.get("inventory_number", "").lower() == inv.lower()]
    with_fields = ctx.q_bool("includeassetfields")
    total, rows = page(ctx, [w.asset_row(a, with_fields) for a in rows])
    return ok({"record_count": total, "assets": rows})


def _asset_matches(ctx: Ctx, a: dict, search: str) -> bool:
    w = ctx.world
    if contains(search, a.get("inventory_number"), *w.asset_keys(a).values()):
        return True
    if ctx.q_bool("search_inventory_number_only"):
        return False
    atype = w.assettypes.get(a["assettype_id"], {"fields": []})
    searchable = {f["id"] for f in atype["fields"] if f.get("searchable")}
    values = a.get("values", {})
    return any(contains(search, values.get(fid, values.get(str(fid)))) for fid in searchable)


async def asset_one(ctx: Ctx) -> web.Response:
    a = ctx.world.assets.get(path_int(ctx))
    return ok(ctx.world.asset_full(a)) if a else not_found()


async def users(ctx: Ctx) -> web.Response:
    w = ctx.world
    rows = [w.user_view(u) for u in _active(ctx, list(w.users.values()))]
    for name in ("client_id", "site_id"):
        want = ctx.q_int(name)
        if want is not None:
            rows = [u for u in rows if u.get(name) == want]
    asset_id = ctx.q_int("asset_id")
    if asset_id is not None:
        owner = w.assets.get(asset_id, {}).get("user_id")
        rows = [u for u in rows if u["id"] == owner]
    search = ctx.query.get("search")
    if search:
        rows = [u for u in rows if contains(search, u["name"], u["emailaddress"], u.get("login"))]
    total, rows = page(ctx, rows)
    return ok({"record_count": total, "users": rows})


async def user_one(ctx: Ctx) -> web.Response:
    u = ctx.world.users.get(path_int(ctx))
    return ok(ctx.world.user_view(u)) if u else not_found()


async def clients(ctx: Ctx) -> web.Response:
    w = ctx.world
    rows = [w.client_view(c) for c in _active(ctx, list(w.clients.values()))]
    search = ctx.query.get("search")
    if search:
        rows = [c for c in rows if contains(search, c["name"])]
    total, rows = page(ctx, rows)
    return ok({"record_count": total, "clients": rows})


async def client_one(ctx: Ctx) -> web.Response:
    c = ctx.world.clients.get(path_int(ctx))
    return ok(ctx.world.client_view(c)) if c else not_found()


async def sites(ctx: Ctx) -> web.Response:
    w = ctx.world
    rows = [w.site_view(s) for s in _active(ctx, list(w.sites.values()))]
    want = ctx.q_int("client_id")
    if want is not None:
        rows = [s for s in rows if s["client_id"] == want]
    search = ctx.query.get("search")
    if search:
        rows = [s for s in rows if contains(search, s["name"], s["clientsite_name"])]
    total, rows = page(ctx, rows)
    return ok({"record_count": total, "sites": rows})


async def site_one(ctx: Ctx) -> web.Response:
    s = ctx.world.sites.get(path_int(ctx))
    return ok(ctx.world.site_view(s)) if s else not_found()


ROUTES = [
    ("GET", r"/api/asset", assets, "read:assets"),
    ("GET", r"/api/asset/(?P<id>\d+)", asset_one, "read:assets"),
    ("GET", r"/api/users", users, "read:customers"),
    ("GET", r"/api/users/(?P<id>\d+)", user_one, "read:customers"),
    ("GET", r"/api/client", clients, "read:customers"),
    ("GET", r"/api/client/(?P<id>\d+)", client_one, "read:customers"),
    ("GET", r"/api/site", sites, "read:customers"),
    ("GET", r"/api/site/(?P<id>\d+)", site_one, "read:customers"),
]
