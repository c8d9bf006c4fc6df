"""Tickets and Actions contract (reference §2.8, §2.9, simulator contract)."""

from __future__ import annotations

import pytest

from streamproc.halo_sandbox import SandboxConfig
from streamproc.halo_sandbox.seed import (
    ASSET_ACME_LAPTOP,
    CLIENT_ACME,
    CLIENT_INITECH,
    OUTCOME_INTERNAL_NOTE,
    SITE_ACME_HQ,
    SITE_ACME_WAREHOUSE,
    SITE_INITECH_MAIN,
    TICKETTYPE_ALERT,
    TICKETTYPE_CHANGE,
    TICKETTYPE_SERVICE_REQUEST,
    USER_BOB,
    USER_NO_SITE,
)


async def post(client, auth, body, path="/api/Tickets"):
    resp = await client.post(path, json=body, headers=auth)
    text = await resp.text()
    return resp.status, (await resp.json() if resp.content_type == "application/json" else text)


async def create(client, auth, **fields):
    status, body = await post(client, auth, [{"summary": "Disk full", **fields}])
    assert status == 201, body
    return body


async def test_object_body_is_rejected(client, auth):
    status, body = await post(client, auth, {"summary": "x", "client_id": CLIENT_ACME})
    assert status == 400
    assert isinstance(body, str)
    assert body
    assert (await client.get("/_sandbox/tickets")).status == 200
    assert (await (await client.get("/_sandbox/tickets")).json())["record_count"] == 0


async def test_create_from_site_applies_type_defaults(client, auth):
    t = await create(client, auth, site_id=SITE_ACME_WAREHOUSE)
    assert t["id"] >= 1001
    assert (t["client_id"], t["site_id"], t["user_id"]) == (CLIENT_ACME, SITE_ACME_WAREHOUSE, 0)
    assert (t["tickettype_id"], t["status_id"], t["sla_id"], t["priority_id"]) == (1, 1, 1, 3)
    assert t["priority"]["name"] == "Medium"
    assert t["hasbeenclosed"] is False
    assert t["dateclosed"] is None
    assert t["dateoccurred"]
    assert t["client_name"] == "Acme Corporation"


async def test_derivations_from_user_and_client(client, auth):
    by_user = await create(client, auth, user_id=USER_BOB, tickettype_id=TICKETTYPE_ALERT)
    assert (by_user["site_id"], by_user["client_id"]) == (SITE_ACME_WAREHOUSE, CLIENT_ACME)
    assert (by_user["sla_id"], by_user["priority_id"]) == (2, 2)
    by_client = await create(client, auth, client_id=CLIENT_INITECH)
    assert by_client["site_id"] == SITE_INITECH_MAIN


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"client_id": 999}, "Client 999"),
        ({"site_id": 999}, "Site 999"),
        ({"user_id": 999}, "User 999"),
        ({"client_id": CLIENT_ACME, "tickettype_id": 999}, "Ticket Type 999"),
        ({"client_id": CLIENT_ACME, "assets": [{"id": 999}]}, "Asset 999"),
        ({"user_id": USER_NO_SITE}, "Site"),
        ({"client_id": 95.0}, "System.Int32"),
        ({"client_id": CLIENT_INITECH, "site_id": SITE_ACME_HQ}, "does not belong"),
        ({"client_id": CLIENT_ACME, "tickettype_id": TICKETTYPE_SERVICE_REQUEST}, "category_1"),
        ({"client_id": CLIENT_ACME, "priority_id": 7}, "Priority 7"),
    ],
)
async def test_create_validation_is_400_plain_text(client, auth, fields, needle):
    status, body = await post(client, auth, [{"summary": "x", **fields}])
    assert status == 400
    assert needle in body


async def test_approval_type_is_rejected_with_app03(client, auth):
    status, body = await post(
        client, auth, [{"client_id": CLIENT_ACME, "tickettype_id": TICKETTYPE_CHANGE}]
    )
    assert (status, body) == (400, "CODE:APP03/2 Please select the CAB members to approve")


async def test_novalidate_skips_mandatory_fields(client, auth):
    t = await create(
        client,
        auth,
        client_id=CLIENT_ACME,
        tickettype_id=TICKETTYPE_SERVICE_REQUEST,
        _novalidate=True,
    )
    assert "_novalidate" not in t


async def test_assets_references_and_filters(client, auth):
    t = await create(
        client,
        auth,
        client_id=CLIENT_ACME,
        assets=[{"id": ASSET_ACME_LAPTOP}],
        supplier_reference="watchman:alert-42",
        third_party_id=42,
    )
    assert t["assets"][0]["id"] == ASSET_ACME_LAPTOP
    assert t["assets"][0]["inventory_number"]
    other = await create(client, auth, client_id=CLIENT_INITECH)
    for query, ids in [
        (f"asset_id={ASSET_ACME_LAPTOP}", [t["id"]]),
        ("search_supplier_reference=alert-42", [t["id"]]),
        (f"ticketids={t['id']},{other['id']}", [t["id"], other["id"]]),
        (f"client_id={CLIENT_INITECH}", [other["id"]]),
    ]:
        body = await (await client.get(f"/api/Tickets?{query}", headers=auth)).json()
        assert [r["id"] for r in body["tickets"]] == ids, query
    one = await (await client.get(f"/api/Tickets/{t['id']}", headers=auth)).json()
    assert (one["supplier_reference"], one["third_party_id"]) == ("watchman:alert-42", 42)
    assert (await client.get("/api/Tickets/424242", headers=auth)).status == 404


async def test_batch_returns_last_or_all_and_is_atomic(client, auth):
    pair = [{"client_id": CLIENT_ACME, "summary": "a"}, {"client_id": CLIENT_ACME, "summary": "b"}]
    status, last = await post(client, auth, pair)
    assert (status, last["summary"]) == (201, "b")
    status, both = await post(client, auth, pair, "/api/Tickets?returnall=true")
    assert [t["summary"] for t in both] == ["a", "b"]
    status, _ = await post(client, auth, [pair[0], {"client_id": 999}])
    assert status == 400
    listing = await (await client.get("/api/Tickets", headers=auth)).json()
    assert listing["record_count"] == 4


async def test_closing_by_update_sets_hasbeenclosed_and_dateclosed(client, auth):
    t = await create(client, auth, client_id=CLIENT_ACME)
    status, closed = await post(client, auth, [{"id": t["id"], "status_id": 9}])
    assert status == 200
    assert closed["hasbeenclosed"] is True
    assert closed["dateclosed"]
    assert closed["status_name"] == "Closed"
    open_ = await (await client.get("/api/Tickets?open_only=true", headers=auth)).json()
    done = await (await client.get("/api/Tickets?closed_only=true", headers=auth)).json()
    assert (open_["record_count"], done["record_count"]) == (0, 1)
    status, _ = await post(client, auth, [{"id": 999999, "status_id": 9}])
    assert status == 404


async def test_tickets_pagination(client, auth):
    for _ in range(3):
        await create(client, auth, client_id=CLIENT_ACME)
    body = await (
        await client.get("/api/Tickets?pageinate=true&page_size=2&page_no=2", headers=auth)
    ).json()
    assert (body["record_count"], len(body["tickets"])) == (3, 1)
    resp = await client.get("/api/Tickets?pageinate=true&page_size=101", headers=auth)
    assert resp.status == 400


async def test_actions_rules_and_close_via_new_status(client, auth):
    t = await create(client, auth, client_id=CLIENT_ACME)
    status, body = await post(client, auth, [{"ticket_id": t["id"], "note": "x"}], "/api/Actions")
    assert (status, body) == (400, "An Outcome must be entered for this Action")
    status, body = await post(
        client, auth, [{"ticket_id": 999999, "outcome_id": 7}], "/api/Actions"
    )
    assert status == 400
    note = {
        "ticket_id": t["id"],
        "outcome_id": OUTCOME_INTERNAL_NOTE,
        "note": "Alert cleared",
        "new_status": 9,
        "hiddenfromuser": True,
    }
    status, action = await post(client, auth, [note], "/api/Actions")
    assert status == 201
    assert action["outcome"] == "Internal Note"
    ticket = await (await client.get(f"/api/Tickets/{t['id']}", headers=auth)).json()
    assert ticket["hasbeenclosed"] is True
    assert ticket["closure_note"] == "Alert cleared"
    listing = await (await client.get(f"/api/Actions?ticket_id={t['id']}", headers=auth)).json()
    assert listing["record_count"] == 1
    assert listing["actions"][0]["note"] == "Alert cleared"


@pytest.mark.parametrize("config", [SandboxConfig(forbidden_outcome_ids=[7])])
async def test_forbidden_outcome(client, auth):
    t = await create(client, auth, client_id=CLIENT_ACME)
    body = [{"ticket_id": t["id"], "outcome": "internal note"}]
    status, text = await post(client, auth, body, "/api/Actions")
    assert (status, text) == (400, "You do not have access to this Action at the moment")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (SandboxConfig(error_shape="modelstate"), {"[0].client_id": None}),
        (SandboxConfig(error_shape="classname"), {"ClassName": None, "Message": None}),
    ],
)
async def test_alternative_400_shapes(client, auth, expected):
    status, body = await post(client, auth, [{"client_id": 95.0}])
    assert status == 400
    assert set(body) == set(expected)


async def test_update_moves_ticket_and_rederives_parties(client, auth):
    t = await create(client, auth, user_id=USER_BOB)
    status, moved = await post(client, auth, [{"id": t["id"], "client_id": CLIENT_INITECH}])
    assert status == 200
    assert (moved["client_id"], moved["site_id"], moved["user_id"]) == (
        CLIENT_INITECH,
        SITE_INITECH_MAIN,
        0,
    )
    status, back = await post(client, auth, [{"id": t["id"], "site_id": SITE_ACME_HQ}])
    assert (back["client_id"], back["site_id"]) == (CLIENT_ACME, SITE_ACME_HQ)


async def test_a_refused_element_undoes_the_whole_batch(client, auth):
    kept = await create(client, auth, site_id=SITE_ACME_HQ)
    batch = [
        {"summary": "new one", "site_id": SITE_ACME_HQ},
        {"id": kept["id"], "summary": "renamed", "status_id": 9},
        {"summary": "bad", "site_id": 999_999},
    ]
    status, _ = await post(client, auth, batch)
    assert status == 400
    listed = await (await client.get("/_sandbox/tickets")).json()
    assert listed["record_count"] == 1
    _, again = await post(client, auth, [{"id": kept["id"]}])
    assert again["summary"] == kept["summary"]
    assert again["status_id"] == kept["status_id"]
    assert (await create(client, auth, site_id=SITE_ACME_HQ))["id"] == kept["id"] + 1


async def test_returnall_answers_with_every_created_ticket(client, auth):
    body = [
        {"summary": f"t{n}", "site_id": SITE_ACME_HQ, "supplier_reference": f"r{n}"}
        for n in range(3)
    ]
    status, created = await post(client, auth, body, path="/api/Tickets?returnall=true")
    assert status == 201
    assert [t["supplier_reference"] for t in created] == ["r0", "r1", "r2"]
