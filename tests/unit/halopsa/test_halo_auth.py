"""Token discovery, caching, renewal and the auth error paths, over loopback HTTP."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from streamproc.halopsa import (
    HaloAuthError,
    HaloClient,
    HaloCredentials,
    HaloPermissionError,
    HaloScopeError,
    HaloTenantError,
)
from tests.unit.halopsa.halo_fake import CLIENT_ID, SECRET, FakeHalo, fast_config


def _assert_no_leak(exc: BaseException, *secrets: str) -> None:
    for text in (str(exc), repr(exc), *map(str, exc.args)):
        for secret in secrets:
            assert secret not in text


async def test_one_token_serves_many_calls(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    await asyncio.gather(*(client.list_statuses(creds) for _ in range(30)))
    for _ in range(5):
        await client.list_statuses(creds)
    assert fake.count("POST", "/auth/token") == 1
    assert fake.count("GET", "/api/authinfo") == 1
    assert client.stats.total(creds.tenant_key, "/auth/token") == 1
    assert client.stats.total(creds.tenant_key, "/api/Status") == 35


async def test_expired_token_is_renewed_once(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.expires_in = 0.3  # renewed 10% early, i.e. after 0.27 s
    await client.list_statuses(creds)
    await asyncio.sleep(0.3)
    await asyncio.gather(*(client.list_statuses(creds) for _ in range(10)))
    assert fake.count("POST", "/auth/token") == 2
    assert fake.count("GET", "/api/Status") == 11  # never sent with an expired token


async def test_401_reauthenticates_once_then_succeeds(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    await client.list_statuses(creds)
    fake.tokens.clear()  # Halo forgot our token (e.g. restarted)
    assert len(await client.list_statuses(creds)) == 2
    assert fake.count("POST", "/auth/token") == 2


async def test_401_after_reauth_is_permission_error(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("GET", "/api/status", lambda _r: web.Response(status=401), times=2)
    with pytest.raises(HaloPermissionError) as info:
        await client.list_statuses(creds)
    assert info.value.status == 401
    assert info.value.reason == "permission_denied"
    assert fake.count("POST", "/auth/token") == 2
    _assert_no_leak(info.value, SECRET, *fake.issued)


async def test_403_is_permission_error(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("GET", "/api/asset", lambda _r: web.Response(status=403))
    with pytest.raises(HaloPermissionError) as info:
        await client.find_asset_by_serial(creds, "X")
    assert info.value.status == 403
    assert not info.value.retriable


async def test_invalid_client(client: HaloClient, fake_url: str) -> None:
    wrong = HaloCredentials(fake_url, CLIENT_ID, "not-the-secret-123")
    with pytest.raises(HaloAuthError) as info:
        await client.test_credentials(wrong)
    assert info.value.reason == "credentials_rejected"
    assert "invalid_client" in info.value.halo_message
    assert info.value.path == "/auth/token"
    _assert_no_leak(info.value, "not-the-secret-123")


async def test_invalid_scope(client: HaloClient, fake_url: str) -> None:
    creds = HaloCredentials(fake_url, CLIENT_ID, SECRET, scope="read:actions")
    with pytest.raises(HaloScopeError) as info:
        await client.list_statuses(creds)
    assert info.value.reason == "scope_invalid"
    _assert_no_leak(info.value, SECRET)


async def test_unknown_tenant(client: HaloClient, fake_url: str, fake: FakeHalo) -> None:
    fake.known_tenant = "acme"
    with pytest.raises(HaloTenantError) as info:
        await client.list_statuses(HaloCredentials(fake_url, CLIENT_ID, SECRET, tenant="acne"))
    assert info.value.reason == "tenant_unknown"
    assert fake.count("POST", "/auth/token") == 1  # not retried: it is not an outage
    await client.list_statuses(HaloCredentials(fake_url, CLIENT_ID, SECRET, tenant="acme"))
    assert fake.journal[-2][2] == {"tenant": "acme"}


async def test_authinfo_auth_url_is_used(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.authinfo = {"auth_url": "/idp"}
    await client.list_statuses(creds)
    assert fake.count("POST", "/idp/token") == 1


async def test_missing_authinfo_falls_back(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.authinfo = None
    await client.list_statuses(creds)
    await client.test_credentials(creds)
    assert fake.count("POST", "/auth/token") == 2
    assert fake.count("GET", "/api/authinfo") == 1  # the token URL is remembered


async def test_discovery_can_be_disabled(creds: HaloCredentials, fake: FakeHalo) -> None:
    async with HaloClient(fast_config(discover_auth_url=False)) as client:
        await client.list_statuses(creds)
    assert fake.count("GET", "/api/authinfo") == 0
    token_form = fake.journal[0][3]
    assert "grant_type=client_credentials" in token_form
    assert "scope=all" in token_form
