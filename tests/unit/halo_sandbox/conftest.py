"""Fixtures: a sandbox served over real HTTP on loopback, plus token helpers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from streamproc.halo_sandbox import SandboxConfig, create_app
from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


@pytest.fixture
def config() -> SandboxConfig:
    """Override in a module (or parametrize) to start the sandbox with other settings."""
    return SandboxConfig()


@pytest.fixture
async def client(aiohttp_client: Any, config: SandboxConfig) -> TestClient:
    return await aiohttp_client(create_app(config, seed="demo"))


async def get_token(
    client: TestClient,
    client_id: str = DEMO_CLIENT_ID,
    secret: str = DEMO_CLIENT_SECRET,
    scope: str | None = "all",
    prefix: str = "",
) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if scope is not None:
        form["scope"] = scope
    resp = await client.post(f"{prefix}/auth/token", data=form)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def auth(client: TestClient) -> dict[str, str]:
    """Headers of a demo-client token with scope "all"."""
    return bearer(await get_token(client))
