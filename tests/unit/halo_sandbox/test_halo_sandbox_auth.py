"""Auth contract: token endpoint errors, scopes, expiry, 401/403 bodies (reference §1, §4)."""

from __future__ import annotations

import asyncio

import pytest

from streamproc.halo_sandbox import SandboxConfig
from streamproc.halo_sandbox.seed import (
    DEMO_CLIENT_ID,
    READONLY_CLIENT_ID,
    READONLY_CLIENT_SECRET,
)

from .conftest import bearer, get_token

FORM = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "scope": "all"}


async def test_authinfo_points_at_auth_server(client):
    resp = await client.get("/api/authinfo")
    body = await resp.json()
    assert resp.status == 200
    assert body["auth_url"].endswith("/auth")
    assert "tenant_id" not in body


async def test_token_response_has_the_six_fields(client):
    resp = await client.post("/auth/token", data={**FORM, "client_secret": "demo-secret"})
    body = await resp.json()
    assert resp.status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "all"
    assert all(body[k] for k in ("access_token", "refresh_token", "id_token"))


@pytest.mark.parametrize("path", ["/auth/token?tenant=", "/token?tenant=whatever", "/AUTH/Token"])
async def test_token_endpoint_variants(client, path):
    resp = await client.post(path, data={**FORM, "client_secret": "demo-secret"})
    assert resp.status == 200


@pytest.mark.parametrize(("cid", "secret"), [(DEMO_CLIENT_ID, "wrong"), ("nobody", "demo-secret")])
async def test_bad_credentials_are_invalid_client(client, cid, secret):
    resp = await client.post(
        "/auth/token", data={**FORM, "client_id": cid, "client_secret": secret}
    )
    assert resp.status == 401
    assert await resp.json() == {
        "error": "invalid_client",
        "error_description": "The specified client credentials are invalid.",
    }


async def test_grant_type_required(client):
    data = {"client_id": DEMO_CLIENT_ID, "client_secret": "demo-secret", "scope": "all"}
    resp = await client.post("/auth/token", data=data)
    assert resp.status == 400
    assert (await resp.json())["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("scope", ["read:actions", "all bogus", "edit:sites"])
async def test_unknown_scope_rejected(client, scope):
    resp = await client.post(
        "/auth/token", data={**FORM, "client_secret": "demo-secret", "scope": scope}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "invalid_scope"


@pytest.mark.parametrize("config", [SandboxConfig(tenant_id="acme")])
async def test_wrong_tenant_is_500_when_tenant_configured(client):
    data = {**FORM, "client_secret": "demo-secret"}
    assert (await client.post("/auth/token?tenant=globex", data=data)).status == 500
    assert (await client.post("/auth/token?tenant=acme", data=data)).status == 200
    assert (await (await client.get("/api/authinfo")).json())["tenant_id"] == "acme"


async def test_scopeless_token_is_401_on_api_calls(client):
    token = await get_token(client, scope=None)
    resp = await client.get("/api/Priority", headers=bearer(token))
    assert resp.status == 401
    assert await resp.read() == b""


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "x"}])
async def test_missing_or_unknown_token_is_401_empty(client, headers):
    resp = await client.get("/api/Tickets", headers=headers)
    assert resp.status == 401
    assert await resp.read() == b""


@pytest.mark.parametrize("config", [SandboxConfig(token_lifetime=0.05)])
async def test_token_expires_after_lifetime(client):
    resp = await client.post("/auth/token", data={**FORM, "client_secret": "demo-secret"})
    body = await resp.json()
    assert body["expires_in"] == 1  # rounded up: clients expect whole seconds
    headers = bearer(body["access_token"])
    assert (await client.get("/api/Status", headers=headers)).status == 200
    await asyncio.sleep(0.08)
    assert (await client.get("/api/Status", headers=headers)).status == 401


async def test_restricted_app_gets_403_with_empty_body(client):
    token = await get_token(client, READONLY_CLIENT_ID, READONLY_CLIENT_SECRET, scope="all")
    headers = bearer(token)
    assert (await client.get("/api/Tickets", headers=headers)).status == 200
    resp = await client.post("/api/Tickets", json=[{"summary": "x"}], headers=headers)
    assert resp.status == 403
    assert await resp.read() == b""
    assert (await client.get("/api/Asset", headers=headers)).status == 403


async def test_granular_scopes(client):
    reader = bearer(await get_token(client, scope="read:tickets"))
    editor = bearer(await get_token(client, scope="edit:tickets read:customers"))
    assert (await client.post("/api/Tickets", json=[{}], headers=reader)).status == 403
    assert (await client.get("/api/Tickets", headers=editor)).status == 200  # edit implies read
    assert (await client.get("/api/Users", headers=editor)).status == 200
    assert (await client.get("/api/Asset", headers=editor)).status == 403


@pytest.mark.parametrize("path", ["/api/tickets", "/API/TICKETS", "/api/Tickets/", "/Api/tIcKeTs"])
async def test_paths_are_case_insensitive(client, auth, path):
    resp = await client.get(path, headers=auth)
    assert resp.status == 200
    assert "tickets" in await resp.json()
