"""Sandbox-only behaviour: technician actions, journal, faults, rate limit, tenants, config."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from click.testing import CliRunner

from streamproc.halo_sandbox import SandboxConfig
from streamproc.halo_sandbox.cli import halo_sandbox
from streamproc.halo_sandbox.seed import (
    ACME_CLIENT_ID,
    ACME_CLIENT_SECRET,
    ASSET_ACME_LAPTOP,
    ASSETTYPE_LAPTOP,
    CLIENT_ACME,
    DEMO_CLIENT_ID,
    FIELD_SERIAL,
)

from .conftest import bearer, get_token

TICKET = [{"summary": "Alert", "client_id": CLIENT_ACME}]


async def new_ticket(client, auth) -> int:
    resp = await client.post("/api/Tickets", json=TICKET, headers=auth)
    assert resp.status == 201
    return (await resp.json())["id"]


async def add_fault(client, **spec):
    resp = await client.post("/_sandbox/faults", json=spec)
    assert resp.status == 201, await resp.text()


async def test_admin_close_delete_merge(client, auth):
    a, b, c = [await new_ticket(client, auth) for _ in range(3)]
    resp = await client.post(f"/_sandbox/tickets/{a}/close", json={"note": "Fixed on site"})
    assert resp.status == 200
    seen = await (await client.get(f"/api/Tickets/{a}", headers=auth)).json()
    assert seen["hasbeenclosed"] is True
    assert seen["dateclosed"]
    assert seen["closure_note"] == "Fixed on site"
    assert (await client.post(f"/_sandbox/tickets/{b}/delete")).status == 200
    assert (await (await client.get(f"/api/Tickets/{b}", headers=auth)).json())["deleted"] is True
    resp = await client.post(f"/_sandbox/tickets/{c}/merge", json={"into": a})
    merged = await resp.json()
    assert (merged["merged_into_id"], merged["hasbeenclosed"]) == (a, True)
    listing = await (await client.get("/_sandbox/tickets")).json()
    assert listing["record_count"] == 3


async def test_journal_records_requests_without_secrets(client, auth):
    await client.get("/api/Tickets?open_only=true", headers=auth)
    body = await (await client.get(f"/_sandbox/journal?client_id={DEMO_CLIENT_ID}")).json()
    token_call, list_call = body["entries"]
    assert (token_call["method"], token_call["path"], token_call["status"]) == (
        "POST",
        "/auth/token",
        200,
    )
    assert list_call["query"] == {"open_only": "true"}
    assert "demo-secret" not in str(body)
    assert (await (await client.get("/_sandbox/journal?client_id=x")).json())["entries"] == []


async def test_error5xx_fault_then_recovers(client, auth):
    await add_fault(client, client_id=DEMO_CLIENT_ID, kind="error5xx", status=500, count=2)
    statuses = [(await client.get("/api/Status", headers=auth)).status for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_latency_fault(client, auth):
    await add_fault(
        client, client_id=DEMO_CLIENT_ID, kind="latency", seconds=0.2, path="/api/status"
    )
    started = time.monotonic()
    assert (await client.get("/api/Status", headers=auth)).status == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    await client.get("/api/Status", headers=auth)
    assert time.monotonic() - started < 0.2


async def test_lost_reply_applies_create_but_drops_connection(client, auth):
    await add_fault(client, client_id=DEMO_CLIENT_ID, kind="lost_reply", path="/api/tickets")
    with pytest.raises(aiohttp.ClientError):
        await client.post("/api/Tickets", json=TICKET, headers=auth)
    listing = await (await client.get("/api/Tickets", headers=auth)).json()
    assert listing["record_count"] == 1  # the client cannot tell, but the ticket exists
    entries = (await (await client.get("/_sandbox/journal?path=tickets&method=POST")).json())[
        "entries"
    ]
    assert entries[0]["faults"] == ["lost_reply"]
    assert entries[0]["status"] is None


async def test_lost_reply_as_502_and_drop_connection(client, auth):
    await add_fault(client, kind="lost_reply", status=502)
    resp = await client.post("/api/Tickets", json=TICKET, headers=auth)
    assert resp.status == 502
    assert (await (await client.get("/_sandbox/tickets")).json())["record_count"] == 1
    await add_fault(client, kind="drop_connection", path="/api/status")
    with pytest.raises(aiohttp.ClientError):
        await client.get("/api/Status", headers=auth)


async def test_token_expiry_and_rate_limit_faults(client, auth):
    await add_fault(client, client_id=DEMO_CLIENT_ID, kind="token_expiry")
    assert (await client.get("/api/Status", headers=auth)).status == 401
    assert (await client.get("/api/Status", headers=auth)).status == 401  # token is gone
    fresh = bearer(await get_token(client))
    await add_fault(client, client_id=DEMO_CLIENT_ID, kind="rate_limit", count=None)
    resp = await client.get("/api/Status", headers=fresh)
    assert resp.status == 429
    assert (await client.delete("/_sandbox/faults")).status == 200
    assert (await client.get("/api/Status", headers=fresh)).status == 200


@pytest.mark.parametrize(
    "config",
    [SandboxConfig(rate_limit=3, rate_window=0.3, retry_after=True, rate_limit_per="client")],
)
async def test_rolling_window_rate_limit_per_client(client):
    headers = bearer(await get_token(client))  # the token call counts: 1 of 3
    assert [(await client.get("/api/Status", headers=headers)).status for _ in range(2)] == [
        200,
        200,
    ]
    resp = await client.get("/api/Status", headers=headers)
    assert resp.status == 429
    assert await resp.text() == "Rate Limit Reached - 3 Requests per rolling 0.3 second window"
    assert int(resp.headers["Retry-After"]) >= 1
    other = bearer(await get_token(client, ACME_CLIENT_ID, ACME_CLIENT_SECRET))
    assert (await client.get("/api/Status", headers=other)).status == 200
    await asyncio.sleep(0.35)
    assert (await client.get("/api/Status", headers=headers)).status == 200


@pytest.mark.parametrize("config", [SandboxConfig(rate_limit=3, rate_window=0.3)])
async def test_the_budget_is_the_instances_whichever_application_calls(client):
    headers = bearer(await get_token(client))  # 1 of 3
    other = bearer(await get_token(client, ACME_CLIENT_ID, ACME_CLIENT_SECRET))  # 2 of 3
    assert (await client.get("/api/Status", headers=headers)).status == 200  # 3 of 3
    assert (
        await client.get("/api/Status", headers=other)
    ).status == 429  # Halo counts per instance
    info = await (await client.get("/_sandbox")).json()
    assert info["rate_usage"] == {"instance": 3}


@pytest.mark.parametrize("config", [SandboxConfig(create_seconds=0.2)])
async def test_overlapping_creates_fail_like_halos_ticket_numbering(client, auth):
    first = asyncio.ensure_future(client.post("/api/Tickets", json=TICKET, headers=auth))
    await asyncio.sleep(0.05)
    second = await client.post("/api/Tickets", json=TICKET, headers=auth)
    assert second.status == 500
    assert "assigning the ticket number" in await second.text()
    assert (await first).status in (200, 201)
    after = await client.post("/api/Tickets", json=TICKET, headers=auth)  # one at a time: fine
    assert after.status in (200, 201)
    info = await (await client.get("/_sandbox")).json()
    assert info["overlapped_creates"] == 1
    journal = await (await client.get("/_sandbox/journal?path=tickets&method=POST")).json()
    assert [e["faults"] for e in journal["entries"]].count(["overlapping_create"]) == 1


async def test_default_rate_limit_message(client, auth):
    await client.post("/_sandbox/config", json={"rate_limit": 1})
    resp = await client.get("/api/Status", headers=auth)
    assert resp.status == 429
    assert await resp.text() == "Rate Limit Reached - 1 Requests per rolling 5 minute window"
    assert "Retry-After" not in resp.headers


async def test_tenants_are_separate_worlds(client, auth):
    await new_ticket(client, auth)
    acme = bearer(await get_token(client, ACME_CLIENT_ID, ACME_CLIENT_SECRET, prefix="/t/acme"))
    assert (await client.get("/api/Status", headers=acme)).status == 401  # token is per tenant
    listing = await (await client.get("/t/acme/api/Tickets", headers=acme)).json()
    assert listing["record_count"] == 0
    info = await (await client.get("/t/acme/api/authinfo")).json()
    assert info["auth_url"].endswith("/t/acme/auth")
    assert info["tenant_id"] == "acme"
    await client.post("/t/acme/_sandbox/faults", json={"kind": "error5xx"})
    assert (await client.get("/api/Status", headers=auth)).status == 200


async def test_reset_config_and_records(client, auth):
    await new_ticket(client, auth)
    resp = await client.post("/_sandbox/config", json={"error_shape": "bogus"})
    assert resp.status == 400
    resp = await client.post(
        "/_sandbox/records/assettypes",
        json={
            "id": ASSETTYPE_LAPTOP,
            "fields": [{"id": FIELD_SERIAL, "name": "S/N", "searchable": True}],
        },
    )
    assert resp.status == 200
    asset = await (await client.get(f"/api/Asset/{ASSET_ACME_LAPTOP}", headers=auth)).json()
    assert [f["name"] for f in asset["fields"]] == ["S/N"]
    assert (await client.post("/_sandbox/reset")).status == 200
    assert (await (await client.get("/_sandbox/tickets")).json())["record_count"] == 0
    assert (await client.get("/api/Status", headers=auth)).status == 401  # tokens were reset too


def test_cli_help():
    result = CliRunner().invoke(halo_sandbox, ["--help"])
    assert result.exit_code == 0
    assert "--rate-window" in result.output


def test_fault_with_probability_hits_about_that_share_and_counts_only_hits():
    from streamproc.halo_sandbox.faults import FaultBook

    book = FaultBook(seed=7)
    book.add({"kind": "lost_reply", "probability": 0.1, "count": None})
    hits = sum(bool(book.take(None, "/api/tickets", "POST")) for _ in range(2000))
    assert 120 < hits < 280  # 10 % of 2,000 (binomial: ~13 s.d. either side)
    assert not book.take(None, "/api/tickets", "GET")  # lost_reply stays on POSTs
    book.clear()
    book.add({"kind": "error5xx", "status": 503, "probability": 0.5, "count": 3})
    hits = sum(bool(book.take(None, "/api/status", "GET")) for _ in range(100))
    assert hits == 3
    assert book.faults == []


def test_fault_for_seconds_ends_on_time():
    from streamproc.halo_sandbox.faults import FaultBook

    now = [100.0]
    book = FaultBook(clock=lambda: now[0])
    book.add({"kind": "error5xx", "status": 503, "count": None, "for_seconds": 15})
    assert book.take(None, "/api/tickets", "POST")
    now[0] = 114.9
    assert book.take(None, "/api/status", "GET")
    now[0] = 115.0
    assert not book.take(None, "/api/status", "GET")
    assert book.faults == []


async def test_touch_signals_show_in_the_ticket_and_its_actions(client, auth):
    ticket = await new_ticket(client, auth)
    for touch in (
        {"kind": "note", "note": "Looking"},
        {"kind": "time", "hours": 0.25},
        {"kind": "status", "status_id": 2},
        {"kind": "assign", "agent_id": 5},
    ):
        resp = await client.post(f"/_sandbox/tickets/{ticket}/touch", json=touch)
        assert resp.status == 200, await resp.text()
    seen = await (await client.get(f"/api/Tickets/{ticket}", headers=auth)).json()
    assert (seen["status_id"], seen["agent_id"]) == (2, 5)
    history = await (await client.get(f"/api/Actions?ticket_id={ticket}", headers=auth)).json()
    assert [(a["who"], a["note"], a["timetaken"]) for a in history["actions"]] == [
        ("Technician", "Looking", 0.0),
        ("Technician", "", 0.25),
    ]
    admin = await (await client.get(f"/_sandbox/tickets/{ticket}/actions")).json()
    assert admin["record_count"] == 2
    bad = await client.post(f"/_sandbox/tickets/{ticket}/touch", json={"kind": "poke"})
    assert bad.status == 400


async def test_reopening_through_the_api_clears_hasbeenclosed(client, auth):
    ticket = await new_ticket(client, auth)
    await client.post(f"/_sandbox/tickets/{ticket}/close", json={})
    body = [{"id": ticket, "status_id": 1, "hasbeenclosed": False}]
    resp = await client.post("/api/Tickets", json=body, headers=auth)
    assert resp.status == 200
    seen = await resp.json()
    assert (seen["status_id"], seen["hasbeenclosed"]) == (1, False)
