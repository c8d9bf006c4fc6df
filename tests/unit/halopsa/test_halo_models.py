"""Pure parts: credentials, payloads, parsers, matching, limiter, cache, stats, exports."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

import streamproc.halopsa as halopsa
from streamproc.halopsa import HaloCredentials, NewTicket, Ticket, TicketType
from streamproc.halopsa.cache import MISS, LookupCache
from streamproc.halopsa.fields import Asset, User, as_int
from streamproc.halopsa.limiter import SlidingWindowLimiter
from streamproc.halopsa.models import match_assets, match_user
from streamproc.halopsa.stats import endpoint_of


def test_all_is_sorted_and_complete() -> None:
    assert list(halopsa.__all__) == sorted(halopsa.__all__)
    for name in halopsa.__all__:
        assert getattr(halopsa, name)


def test_credentials_hide_secret_and_normalise() -> None:
    creds = HaloCredentials("https://Acme.halopsa.com/api/", "cid", "top-secret-1", tenant=" ")
    assert "top-secret-1" not in repr(creds) + str(creds)
    assert creds.base_url == "https://Acme.halopsa.com"
    assert creds.tenant is None
    assert creds.scope == "all"
    assert creds.secret == "top-secret-1"
    assert creds.token_key[:3] == ("https://acme.halopsa.com", "cid", "")
    other = HaloCredentials("https://acme.halopsa.com/", "cid", "other-secret")
    assert other.token_key != creds.token_key, "a wrong secret must not share a cached token"
    assert hash(creds) == hash(HaloCredentials("https://Acme.halopsa.com", "cid", "top-secret-1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.client_id = "x"  # type: ignore[misc]


@pytest.mark.parametrize("url", ["ftp://acme", "acme.halopsa.com", "https://u:p@acme.halopsa.com"])
def test_credentials_reject_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        HaloCredentials(url, "cid", "s")


def test_new_ticket_payload_casts_and_omits() -> None:
    ticket = NewTicket("s", client_id=5.0, site_id="7", asset_ids=(3,))  # type: ignore[arg-type]
    assert ticket.payload() == {"summary": "s", "client_id": 5, "site_id": 7, "assets": [{"id": 3}]}
    assert ticket.payload(novalidate=True)["_novalidate"] is True
    with pytest.raises(ValueError, match="integer"):
        NewTicket("s", client_id=1.5).payload()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="site_id"):
        NewTicket("s", user_id=3).payload()


@pytest.mark.parametrize(
    ("raw", "sla"),
    [
        ({"default_sla": 2}, 2),
        ({"default_sla": -1, "sla_id": 3}, 3),
        ({"default_sla_id": 4}, 4),
        ({"slaid": 5.0}, 5),
        ({"sla": {"id": 6}}, 6),
        ({"default_sla": -1}, None),
        ({}, None),
    ],
)
def test_ticket_type_sla(raw: dict, sla: int | None) -> None:
    assert TicketType.parse({"id": 1, "name": "x", **raw}).sla_id == sla


@pytest.mark.parametrize(
    ("raw", "closed"),
    [
        ({"status_id": 1}, False),
        ({"status_id": 9}, True),
        ({"status_id": 2, "hasbeenclosed": True}, True),
        ({"status_id": 1, "deleted": True}, True),
        ({"status_id": 1, "merged_into_id": 12}, True),
        ({"status_id": 1, "merged_into_id": 0}, False),
    ],
)
def test_ticket_is_closed(raw: dict, closed: bool) -> None:
    assert Ticket.parse({"id": 1, **raw}).is_closed() is closed


def test_as_int() -> None:
    assert [as_int(v) for v in (3, 3.0, "4", "-1", True, None, "x", 2.5)] == [
        3,
        3,
        4,
        -1,
        None,
        None,
        None,
        None,
    ]


def _asset(asset_id: int, *fields: tuple[str, str]) -> Asset:
    return Asset.parse({"id": asset_id, "fields": [{"name": n, "value": v} for n, v in fields]})


def test_match_assets_rules() -> None:
    rows = [_asset(9, ("Serial Number", "ABC ")), _asset(4, ("serial number", "abc"))]
    match = match_assets(rows, "Abc", "Serial Number")
    assert match.asset is not None
    assert match.asset.id == 4
    assert match.duplicates == (4, 9)
    assert match_assets([_asset(1, ("Serial Number", "XABC"))], "ABC", "Serial Number").status == (
        "not_found"
    )
    assert match_assets([], "ABC", "Serial Number").status == "not_found"
    missing = match_assets([_asset(1, ("Name", "pc"), ("S/N", "ABC"))], "ABC", "Serial Number")
    assert missing.field_names_seen == ("Name", "S/N")


def test_match_user_exact() -> None:
    users = [User.parse({"id": i, "emailaddress": m}) for i, m in ((2, "A@x.io"), (1, "a@x.io"))]
    found = match_user(users, " a@X.io")
    assert found is not None
    assert found.id == 1
    assert match_user(users, "") is None


def test_endpoint_of() -> None:
    assert endpoint_of("/api/Tickets/42?x=1") == "/api/Tickets/{id}"
    assert endpoint_of("/t/acme/api/Asset") == "/t/acme/api/Asset"


async def test_limiter_waits_for_window() -> None:
    limiter = SlidingWindowLimiter(3, 0.2)
    started = time.monotonic()
    for _ in range(6):
        async with limiter.slot():
            pass
    assert time.monotonic() - started >= 0.2
    assert limiter.waited_seconds >= 0.15


async def test_limiter_counts_in_flight_and_pause() -> None:
    limiter = SlidingWindowLimiter(1, 0.05)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.1)
    assert not waiter.done()  # the first request has not answered yet
    limiter.release()
    await asyncio.wait_for(waiter, 1)
    limiter.release()
    limiter.pause(0.15)
    assert await limiter.acquire() >= 0.1
    with pytest.raises(ValueError, match="limit"):
        SlidingWindowLimiter(0, 1)


def test_lookup_cache_negative_ttl_and_clear() -> None:
    cache = LookupCache(10, ttl=60, negative_ttl=0.01)
    cache.put("t1", "user", "A@x", "alice", negative=False)
    cache.put("t1", "user", "b@x", None, negative=True)
    assert cache.get("t1", "user", "a@X ") == "alice"
    assert cache.get("t2", "user", "a@x") is MISS
    assert cache.get("t1", "user", "b@x") is None
    time.sleep(0.02)
    assert cache.get("t1", "user", "b@x") is MISS
    cache.clear("t1")
    assert cache.get("t1", "user", "a@x") is MISS
