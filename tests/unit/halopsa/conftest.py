"""Fixtures: the fake Halo on loopback, credentials for it and a fast HaloClient."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from streamproc.halopsa import HaloClient, HaloCredentials
from tests.unit.halopsa.halo_fake import CLIENT_ID, SECRET, FakeHalo, fast_config


@pytest.fixture
def fake() -> FakeHalo:
    return FakeHalo()


@pytest.fixture
async def fake_url(aiohttp_server: Any, fake: FakeHalo) -> str:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
def creds(fake_url: str) -> HaloCredentials:
    return HaloCredentials(fake_url, CLIENT_ID, SECRET)


@pytest.fixture
async def client() -> Any:
    async with HaloClient(fast_config()) as halo:
        yield halo
