"""Retries, ambiguity, rate limits and per-tenant budgets, over loopback HTTP."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from aiohttp import web

from streamproc.halopsa import (
    HaloClient,
    HaloCredentials,
    HaloNotFoundError,
    HaloRateLimitedError,
    HaloUnavailableError,
    NewTicket,
    RequestObservation,
)
from tests.unit.halopsa.halo_fake import CLIENT_ID, SECRET, FakeHalo, fast_config


def _status(code: int, text: str = "") -> web.Response:
    return web.Response(status=code, text=text)


async def test_5xx_is_retried_then_succeeds(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("GET", "/api/status", lambda _r: _status(502), times=2)
    assert len(await client.list_statuses(creds)) == 2
    assert fake.count("GET", "/api/Status") == 3


async def test_5xx_gives_up_after_max_attempts(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("GET", "/api/status", lambda _r: _status(500, "boom"), times=5)
    with pytest.raises(HaloUnavailableError) as info:
        await client.list_statuses(creds)
    assert fake.count("GET", "/api/Status") == 3
    assert info.value.retriable
    assert not info.value.ambiguous
    assert info.value.reason == "halo_unavailable"


async def test_create_500_is_ambiguous_and_not_resent(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("POST", "/api/tickets", lambda _r: _status(500))
    with pytest.raises(HaloUnavailableError) as info:
        await client.create_ticket(creds, NewTicket("a", supplier_reference="r1"))
    assert info.value.ambiguous
    assert "may have applied" in str(info.value)
    assert fake.count("POST", "/api/Tickets") == 1


async def test_create_503_is_retried(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("POST", "/api/tickets", lambda _r: _status(503))
    ticket = await client.create_ticket(creds, NewTicket("a"))
    assert ticket.id == 1000
    assert fake.count("POST", "/api/Tickets") == 2


async def test_create_timeout_is_ambiguous(creds: HaloCredentials, fake: FakeHalo) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1.0)
        return _status(201, "{}")

    fake.fail("POST", "/api/tickets", slow)
    async with HaloClient(fast_config(timeout_total=0.2)) as client:
        with pytest.raises(HaloUnavailableError) as info:
            await client.create_ticket(creds, NewTicket("a"))
        assert info.value.ambiguous
        assert fake.count("POST", "/api/Tickets") == 1
        # the caller's retry looks the reference up first
        fake.tickets[7] = {"id": 7, "supplier_reference": "r9"}
        found = await client.create_ticket(
            creds, NewTicket("a", supplier_reference="r9"), lookup_first=True
        )
    assert found.id == 7


async def test_dropped_connection_on_note_is_ambiguous(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return _status(200)

    fake.fail("POST", "/api/actions", drop)
    with pytest.raises(HaloUnavailableError) as info:
        await client.add_note(creds, 1, "x")
    assert info.value.ambiguous
    assert fake.count("POST", "/api/Actions") == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_connection_refused_is_retried_and_not_ambiguous() -> None:
    creds = HaloCredentials(f"http://127.0.0.1:{_closed_port()}", CLIENT_ID, SECRET)
    async with HaloClient(fast_config(discover_auth_url=False)) as client:
        with pytest.raises(HaloUnavailableError) as info:
            await client.create_ticket(creds, NewTicket("a"))
    assert not info.value.ambiguous
    assert info.value.path == "/auth/token"
    assert SECRET not in str(info.value)
    assert client.stats.snapshot() == {
        (creds.tenant_key, "/auth/token", "POST", "connection_error"): 3
    }


async def test_dns_failure_is_unavailable_not_ambiguous() -> None:
    creds = HaloCredentials("https://no-such-host.invalid", CLIENT_ID, SECRET)
    async with HaloClient(fast_config(max_attempts=2, timeout_total=1.0)) as client:
        with pytest.raises(HaloUnavailableError) as info:
            await client.add_note(creds, 1, "x")
    assert not info.value.ambiguous
    assert "no-such-host.invalid" in info.value.halo_message


async def test_404_is_not_found(client: HaloClient, creds: HaloCredentials) -> None:
    with pytest.raises(HaloNotFoundError) as info:
        await client.get_ticket(creds, 31337)
    assert info.value.path == "/api/Tickets/31337"
    assert info.value.reason == "not_found"


async def test_429_without_retry_after_defaults_to_30s(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("GET", "/api/status", lambda _r: _status(429, "Rate Limit Reached"))
    with pytest.raises(HaloRateLimitedError) as info:
        await client.list_statuses(creds)
    assert info.value.retry_after == 30.0
    assert info.value.retriable


async def test_429_with_long_retry_after_is_returned(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail(
        "GET", "/api/status", lambda _r: web.Response(status=429, headers={"Retry-After": "120"})
    )
    with pytest.raises(HaloRateLimitedError) as info:
        await client.list_statuses(creds)
    assert info.value.retry_after == 120.0


async def test_429_with_short_retry_after_is_waited_out(
    creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail(
        "GET", "/api/status", lambda _r: web.Response(status=429, headers={"Retry-After": "0.2"})
    )
    async with HaloClient(fast_config(max_rate_limit_wait=1.0)) as client:
        started = time.monotonic()
        assert len(await client.list_statuses(creds)) == 2
    assert time.monotonic() - started >= 0.2


async def test_burst_of_1000_draws_no_429(creds: HaloCredentials, fake: FakeHalo) -> None:
    fake.rate_limit = (50, 0.1)
    observed: list[RequestObservation] = []
    config = fast_config(rate_limit_requests=50, rate_limit_window=0.1, timeout_total=10.0)
    async with HaloClient(config, observer=observed.append) as client:
        await asyncio.gather(*(client.list_statuses(creds) for _ in range(1000)))
        waited = client.limiter_wait_seconds()[creds.tenant_key]
    assert {o.status for o in observed} == {200}
    assert len(observed) == 1002  # + authinfo + token
    assert fake.count("GET", "/api/Status") == 1000
    assert waited > 0


async def test_tenants_have_independent_budgets(fake_url: str, fake: FakeHalo) -> None:
    busy = HaloCredentials(fake_url, CLIENT_ID, SECRET, tenant="busy")
    calm = HaloCredentials(fake_url, CLIENT_ID, SECRET, tenant="calm")
    async with HaloClient(fast_config(rate_limit_requests=5, rate_limit_window=0.5)) as client:
        flood = asyncio.gather(*(client.list_statuses(busy) for _ in range(10)))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await asyncio.gather(*(client.list_statuses(calm) for _ in range(3)))
        calm_took = time.monotonic() - started
        await flood
        waits = client.limiter_wait_seconds()
    assert calm_took < 0.25
    assert waits[busy.tenant_key] > 0.25
    assert waits[calm.tenant_key] < 0.25


async def test_a_budget_seeded_from_another_owner_counts_what_it_spent_once() -> None:
    import time as _time

    from streamproc.halopsa.limiter import SlidingWindowLimiter

    first = SlidingWindowLimiter(5, 60)
    for _ in range(3):
        async with first.slot():
            pass
    saved = first.sent_at()
    assert len(saved) == 3
    assert all(abs(t - _time.time()) < 5 for t in saved)
    second = SlidingWindowLimiter(5, 60)
    second.seed(saved)
    second.seed(saved)  # seeded again (ownership came back): not counted twice
    assert second.used() == 3
    assert not second.spare(0.5)
    second.seed([_time.time() - 120])  # outside the window: nothing spent
    assert second.used() == 0
    assert second.spare(0.5)
