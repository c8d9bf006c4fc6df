"""Reference data (bare arrays) and lookups (envelopes, pagination, asset search)."""

from __future__ import annotations

import pytest

from streamproc.halo_sandbox.seed import (
    ASSET_ACME_INACTIVE,
    ASSET_ACME_LAPTOP,
    ASSET_ACME_MAC,
    ASSET_GLOBEX_LOOKALIKE,
    ASSET_INITECH_DESKTOP,
    CLIENT_ACME,
    RENAMED_SERIAL_FIELD_NAME,
    SERIAL_FIELD_NAME,
    SERIALS,
    SITE_ACME_HQ,
    USER_ALICE,
    USER_EMAILS,
)


async def get(client, auth, path):
    resp = await client.get(path, headers=auth)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_priorities_are_a_bare_array_per_sla(client, auth):
    rows = await get(client, auth, "/api/Priority")
    assert isinstance(rows, list)
    assert len(rows) == 8
    sla1 = await get(client, auth, "/api/Priority?slaid=1")
    assert [(p["priorityid"], p["name"]) for p in sla1] == [
        (1, "Critical"),
        (2, "High"),
        (3, "Medium"),
        (4, "Low"),
    ]
    assert isinstance(sla1[0]["id"], str)  # Policy id is a guid, not the priority number


async def test_ticket_types_and_statuses_are_bare_arrays(client, auth):
    types = await get(client, auth, "/api/TicketType")
    incident = next(t for t in types if t["name"] == "Incident")
    assert incident["default_sla"] == 1
    assert {t["name"] for t in types} >= {"Incident", "Alert", "Change Request"}
    statuses = await get(client, auth, "/api/Status")
    assert {1: "New", 9: "Closed"}.items() <= {s["id"]: s["name"] for s in statuses}.items()
    open_statuses = await get(client, auth, "/api/Status?type=ticket&excludeclosed=true")
    assert 9 not in {s["id"] for s in open_statuses}


async def test_outcomes_include_internal_note(client, auth):
    rows = await get(client, auth, "/api/Outcome")
    assert {"id": 7, "outcome": "Internal Note"}.items() <= rows[
        [r["id"] for r in rows].index(7)
    ].items()


async def test_asset_search_is_fuzzy_and_rows_lack_fields(client, auth):
    body = await get(client, auth, f"/api/Asset?search={SERIALS[ASSET_ACME_LAPTOP].lower()}")
    assert {a["id"] for a in body["assets"]} == {ASSET_ACME_LAPTOP, ASSET_GLOBEX_LOOKALIKE}
    assert body["record_count"] == 2
    assert all("fields" not in a for a in body["assets"])
    with_fields = await get(
        client, auth, f"/api/Asset?search={SERIALS[ASSET_ACME_LAPTOP]}&includeassetfields=true"
    )
    assert all("fields" in a for a in with_fields["assets"])


async def test_full_asset_has_serial_field_and_user(client, auth):
    asset = await get(client, auth, f"/api/Asset/{ASSET_ACME_LAPTOP}")
    assert asset["client_id"] == CLIENT_ACME
    assert asset["site_id"] == SITE_ACME_HQ
    serial = next(f for f in asset["fields"] if f["name"] == SERIAL_FIELD_NAME)
    assert serial["value"] == serial["display"] == SERIALS[ASSET_ACME_LAPTOP]
    assert asset["users"][0]["id"] == USER_ALICE
    assert asset["users"][0]["emailaddress"] == USER_EMAILS[USER_ALICE]


async def test_renamed_serial_field_is_searchable_but_named_differently(client, auth):
    body = await get(client, auth, f"/api/Asset?search={SERIALS[ASSET_ACME_MAC]}")
    assert [a["id"] for a in body["assets"]] == [ASSET_ACME_MAC]
    asset = await get(client, auth, f"/api/Asset/{ASSET_ACME_MAC}")
    names = {f["name"] for f in asset["fields"]}
    assert RENAMED_SERIAL_FIELD_NAME in names
    assert SERIAL_FIELD_NAME not in names


async def test_asset_without_user_and_inactive_assets(client, auth):
    asset = await get(client, auth, f"/api/Asset/{ASSET_INITECH_DESKTOP}")
    assert asset["users"] == []
    serial = SERIALS[ASSET_ACME_INACTIVE]
    assert (await get(client, auth, f"/api/Asset?search={serial}"))["record_count"] == 0
    body = await get(client, auth, f"/api/Asset?search={serial}&includeinactive=true")
    assert body["assets"][0]["inactive"] is True
    assert (await client.get("/api/Asset/999999", headers=auth)).status == 404


async def test_user_search_by_email(client, auth):
    body = await get(client, auth, f"/api/Users?search={USER_EMAILS[USER_ALICE].upper()}")
    assert body["record_count"] == 1
    user = body["users"][0]
    assert (user["id"], user["site_id"], user["client_id"]) == (
        USER_ALICE,
        SITE_ACME_HQ,
        CLIENT_ACME,
    )
    acme = await get(client, auth, f"/api/Users?client_id={CLIENT_ACME}")
    assert {u["client_id"] for u in acme["users"]} == {CLIENT_ACME}


@pytest.mark.parametrize(
    ("query", "expected_len"),
    [
        ("pageinate=true&page_size=2&page_no=1", 2),
        ("pageinate=true&page_size=2&page_no=2", 1),
        ("count=1", 1),
        ("", 3),
    ],
)
async def test_record_count_is_total_not_page_size(client, auth, query, expected_len):
    body = await get(client, auth, f"/api/Client?{query}")
    assert body["record_count"] == 3
    assert len(body["clients"]) == expected_len


async def test_sites_of_a_client_and_single_gets(client, auth):
    body = await get(client, auth, f"/api/Site?client_id={CLIENT_ACME}")
    assert body["record_count"] == 2
    assert body["sites"][0]["clientsite_name"].startswith("Acme Corporation/")
    one = await get(client, auth, f"/api/Client/{CLIENT_ACME}")
    assert one["main_site_id"] == SITE_ACME_HQ
    assert (await get(client, auth, f"/api/Site/{SITE_ACME_HQ}"))["client_id"] == CLIENT_ACME
