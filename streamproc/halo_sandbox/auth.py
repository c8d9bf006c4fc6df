"""OAuth2 client-credentials token endpoint, authinfo discovery and scope checks.

Mirrors what real clients hit (reference §1): ``{base}/auth/token``,
``{auth_server}/token?tenant=`` and ``GET /api/authinfo``.  Errors use OpenIddict's
bodies because client code matches on them.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import time

from aiohttp import web

from .common import Ctx, empty, ok
from .tenant import Token

RESOURCES = (
    "tickets",
    "customers",
    "assets",
    "crm",
    "invoices",
    "contracts",
    "projects",
    "quotes",
    "sales",
    "suppliers",
    "items",
    "kb",
    "reporting",
    "software",
)
GLOBAL_SCOPES = {"all", "admin", "all:teams"}
KNOWN_SCOPES = GLOBAL_SCOPES | {f"{a}:{r}" for a in ("read", "edit") for r in RESOURCES}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "The specified client credentials are invalid.",
}


def parse_scopes(raw: str | None) -> list[str]:
    """Halo clients join scopes with spaces; some send commas (nango issue), accept both."""
    return [s for s in (raw or "").replace(",", " ").split() if s]


def grants(scopes: frozenset[str] | set[str] | list[str], needed: str) -> bool:
    """Whether a scope set allows ``needed`` ("read:tickets"...); edit implies read."""
    if (GLOBAL_SCOPES - {"all:teams"}) & set(scopes):
        return True
    access, _, resource = needed.partition(":")
    if access == "read":
        return f"read:{resource}" in scopes or f"edit:{resource}" in scopes
    return needed in scopes


def allowed(ctx: Ctx, needed: str | None) -> bool:
    """Token scopes ∩ the application's permissions (an app may be restricted)."""
    if needed is None or ctx.token is None or not ctx.config.enforce_scopes:
        return True
    if not grants(ctx.token.scopes, needed):
        return False
    perms = ctx.world.apps.get(ctx.token.client_id, {}).get("permissions")
    return perms is None or grants(perms, needed)


async def authinfo(ctx: Ctx) -> web.Response:
    body = {"auth_url": f"{ctx.base_url}/auth"}
    if ctx.config.tenant_id:
        body["tenant_id"] = ctx.config.tenant_id
    return ok(body)


async def openid_configuration(ctx: Ctx) -> web.Response:
    """OIDC discovery on ``{base}/auth`` (used by oauth4webapi-based clients)."""
    issuer = f"{ctx.base_url}/auth"
    return ok(
        {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": sorted(KNOWN_SCOPES),
        }
    )


async def token(ctx: Ctx) -> web.Response:
    form = await ctx.request.post()
    tenant = ctx.request.query.get("tenant", "")
    if tenant and ctx.config.tenant_id and tenant != ctx.config.tenant_id:
        return web.Response(status=500, text="An error has occurred.")
    if form.get("grant_type") != "client_credentials":
        return ok(
            {
                "error": "unsupported_grant_type",
                "error_description": "The specified 'grant_type' is not supported.",
            },
            400,
        )
    client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
    if not client_id and ctx.request.headers.get("Authorization", "").startswith("Basic "):
        client_id, secret = _basic(ctx.request.headers["Authorization"])
    app = ctx.world.apps.get(client_id)
    if app is None or not secrets.compare_digest(app["client_secret"], secret):
        return ok(INVALID_CLIENT, 401)
    scopes = parse_scopes(str(form.get("scope", "")))
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return ok(
            {
                "error": "invalid_scope",
                "error_description": f"The specified 'scope' is invalid: {unknown[0]}",
            },
            400,
        )
    lifetime = ctx.config.token_lifetime
    value = secrets.token_urlsafe(32)
    ctx.tenant.tokens[value] = Token(client_id, frozenset(scopes), time.monotonic() + lifetime)
    return ok(
        {
            "token_type": "Bearer",
            "access_token": value,
            "expires_in": max(1, math.ceil(lifetime)),
            "scope": " ".join(scopes),
            "refresh_token": secrets.token_urlsafe(24),
            "id_token": _id_token(ctx.base_url, client_id),
        }
    )


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_token(ctx: Ctx) -> web.Response | None:
    """401 (empty) for a missing/unknown/expired/scope-less token, else None."""
    if ctx.token is None or not ctx.token.scopes:
        return empty(401)
    return None


def _basic(header: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(header.split(" ", 1)[1]).decode()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    cid, _, secret = raw.partition(":")
    return cid, secret


def _id_token(issuer: str, client_id: str) -> str:
    """Unsigned JWT-shaped token naming the impersonated agent (clients only decode it)."""

    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {
        "iss": f"{issuer}/auth",
        "sub": "1",
        "aud": client_id,
        "name": "API Agent",
        "email": "api-agent@sandbox.invalid",
        "agent_id": 1,
        "iat": int(time.time()),
    }
    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc(claims)}.sig"
