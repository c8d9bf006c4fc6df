"""Every HaloClient call against the loopback fake Halo."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from streamproc.halopsa import (
    HaloClient,
    HaloCredentials,
    HaloError,
    HaloNotFoundError,
    HaloRateLimitedError,
    HaloValidationError,
    NewTicket,
    TicketState,
)
from tests.unit.halopsa.halo_fake import FakeHalo, fast_config


async def test_ticket_types_priorities_statuses(client: HaloClient, creds: HaloCredentials) -> None:
    types = await client.list_ticket_types(creds)
    assert [(t.id, t.sla_id) for t in types] == [(1, 1), (2, 2), (3, None)]
    prios = await client.priorities_for_ticket_type(creds, types[1])
    assert {(p.priority_id, p.sla_id) for p in prios} == {(1, 2), (2, 2), (3, 2), (4, 2)}
    no_sla = await client.priorities_for_ticket_type(creds, types[2])
    assert [p.priority_id for p in no_sla] == [1, 2, 3, 4]
    assert [s.id for s in await client.list_statuses(creds)] == [1, 9]


async def test_test_credentials_returns_options(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    options = await client.test_credentials(creds)
    assert options.ticket_type is not None
    assert options.ticket_type.id == 1
    assert options.sla_id == 1
    assert len(options.priorities) == 4
    chosen = await client.test_credentials(creds, tickettype_id=2)
    assert chosen.sla_id == 2
    assert fake.count("POST", "/auth/token") == 2  # each test uses a fresh token
    with pytest.raises(HaloNotFoundError):
        await client.test_credentials(creds, tickettype_id=99)


async def test_asset_by_serial_fetches_full_asset_and_caches(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.add_asset(7, "C02XYZ", users=[{"id": 3, "name": "Ann", "site_id": 20}])
    fake.add_asset(8, "C02XYZ-OTHER")
    match = await client.find_asset_by_serial(creds, "c02xyz")
    assert match.status == "matched"
    assert match.asset is not None
    assert match.asset.id == 7
    assert match.asset.user is not None
    assert match.asset.user.id == 3
    assert fake.count("GET", "/api/Asset/7") == 1  # list rows had no fields
    before = len(fake.journal)
    assert (await client.find_asset_by_serial(creds, "C02XYZ")).asset == match.asset
    assert len(fake.journal) == before


async def test_asset_with_fields_in_list_rows_costs_one_request(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.rows_have_fields = True
    fake.add_asset(7, "SER1")
    await client.tokens.token(creds)
    before = len(fake.journal)
    match = await client.find_asset_by_serial(creds, "SER1")
    assert match.asset is not None
    assert len(fake.journal) == before + 1
    assert fake.journal[-1][2]["includeassetfields"] == "true"


async def test_asset_duplicates_choose_lowest_id(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.add_asset(12, "DUP")
    fake.add_asset(11, "dup")
    match = await client.find_asset_by_serial(creds, "DUP")
    assert match.asset is not None
    assert match.asset.id == 11
    assert match.ambiguous
    assert match.duplicates == (11, 12)


async def test_asset_field_renamed_is_reported(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.add_asset(7, "SER9", field="Serial No.")
    match = await client.find_asset_by_serial(creds, "SER9")
    assert match.status == "field_missing"
    assert match.asset is None
    assert match.field_names_seen == ("Serial No.",)
    custom = await client.find_asset_by_serial(creds, "SER9", field_name="serial no.")
    assert custom.status == "matched"


async def test_asset_and_user_not_found_are_cached(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    assert (await client.find_asset_by_serial(creds, "NOPE")).status == "not_found"
    assert await client.find_user_by_email(creds, "nobody@example.com") is None
    before = len(fake.journal)
    await client.find_asset_by_serial(creds, "NOPE")
    await client.find_user_by_email(creds, "NOBODY@example.com")
    assert len(fake.journal) == before


async def test_concurrent_lookups_of_one_computer_cost_one_search(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    import asyncio

    await client.tokens.token(creds)
    before = len(fake.journal)
    found = await asyncio.gather(*(client.find_asset_by_serial(creds, "NOPE2") for _ in range(20)))
    assert {m.status for m in found} == {"not_found"}
    assert len(fake.journal) - before == 1  # an alert storm on one computer: one search


async def test_user_by_email_exact_match(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.add_user(5, "ann@example.com")
    fake.add_user(6, "joann@example.com")
    user = await client.find_user_by_email(creds, "ANN@example.com")
    assert user is not None
    assert (user.id, user.site_id) == (5, 20)


async def test_warm_caches_then_create_costs_one_request(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.add_asset(7, "SER1", users=[{"id": 5, "site_id": 20}])
    fake.add_user(5, "ann@example.com")
    await client.find_asset_by_serial(creds, "SER1")
    await client.find_user_by_email(creds, "ann@example.com")
    before = len(fake.journal)
    match = await client.find_asset_by_serial(creds, "SER1")
    user = await client.find_user_by_email(creds, "ann@example.com")
    assert match.asset is not None
    assert user is not None
    ticket = await client.create_ticket(
        creds,
        NewTicket(
            "Disk failing",
            details_html="<p>x</p>",
            client_id=match.asset.client_id,
            site_id=user.site_id,
            user_id=user.id,
            tickettype_id=1,
            priority_id=2.0,  # type: ignore[arg-type]
            asset_ids=(match.asset.id,),
            supplier_reference="wm:alert:1",
        ),
    )
    assert len(fake.journal) == before + 1
    sent = json.loads(fake.journal[-1][3])
    assert sent == [
        {
            "summary": "Disk failing",
            "details_html": "<p>x</p>",
            "supplier_reference": "wm:alert:1",
            "client_id": 10,
            "site_id": 20,
            "user_id": 5,
            "tickettype_id": 1,
            "priority_id": 2,
            "assets": [{"id": 7}],
        }
    ]
    assert ticket.id == 1000
    assert ticket.supplier_reference == "wm:alert:1"


async def test_get_ticket_find_by_reference_and_states(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    first = await client.create_ticket(creds, NewTicket("a", supplier_reference="ref-1"))
    second = await client.create_ticket(creds, NewTicket("b", supplier_reference="ref-10"))
    assert (await client.get_ticket(creds, first.id)).summary == "a"
    found = await client.find_ticket_by_supplier_reference(creds, "ref-1")
    assert found is not None
    assert found.id == first.id
    assert await client.find_ticket_by_supplier_reference(creds, "ref-2") is None
    await client.close_ticket(creds, second.id)
    states = await client.ticket_states(creds, [first.id, second.id, 4242])
    assert states == {
        first.id: TicketState.OPEN,
        second.id: TicketState.CLOSED,
        4242: TicketState.MISSING,
    }
    with pytest.raises(HaloNotFoundError):
        await client.get_ticket(creds, 4242)


async def test_ticket_states_batches_by_100(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    for i in range(1, 251):
        fake.tickets[i] = {"id": i, "status_id": 9 if i % 2 else 1, "deleted": i == 2}
    states = await client.ticket_states(creds, range(1, 251))
    assert fake.count("GET", "/api/Tickets") == 3
    assert states[1] is TicketState.CLOSED
    assert states[2] is TicketState.CLOSED
    assert states[4] is TicketState.OPEN
    assert all(len(q["ticketids"].split(",")) <= 100 for _m, _p, q, _b in fake.journal if q)


async def test_create_with_lookup_first_returns_existing(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    made = await client.create_ticket(creds, NewTicket("a", supplier_reference="ref-7"))
    again = await client.create_ticket(
        creds, NewTicket("a", supplier_reference="ref-7"), lookup_first=True
    )
    assert again.id == made.id
    assert len(fake.tickets) == 1


async def test_close_via_action_and_notes(creds: HaloCredentials, fake: FakeHalo) -> None:
    async with HaloClient(fast_config(close_via_action=True)) as client:
        ticket = await client.create_ticket(creds, NewTicket("a"))
        note_id = await client.add_note(creds, ticket.id, "checked")
        await client.close_ticket(creds, ticket.id, note="Alert cleared")
    assert note_id == 500
    note, close = fake.actions
    assert note["outcome"] == "Internal Note"
    assert note["hiddenfromuser"] is True
    assert note["sendemail"] is False
    assert close["new_status"] == 9
    assert close["note"] == "Alert cleared"
    assert fake.tickets[ticket.id]["hasbeenclosed"] is True


async def test_close_with_note_by_status(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    ticket = await client.create_ticket(creds, NewTicket("a"))
    await client.close_ticket(creds, ticket.id, note="done")
    assert fake.actions[0]["note"] == "done"
    assert json.loads(fake.journal[-1][3]) == [{"id": ticket.id, "status_id": 9}]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("CODE:APP03/2 Please select the CAB members to approve", "CODE:APP03/2"),
        ('{"ClassName": "System.Exception", "Message": "Invalid site"}', "Invalid site"),
        ('{"[0].id": ["The value 95.0 is not valid."]}', "[0].id: The value 95.0"),
    ],
)
async def test_validation_errors_carry_halo_message(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo, body: str, expected: str
) -> None:
    fake.fail("POST", "/api/tickets", lambda _r: web.Response(status=400, text=body))
    with pytest.raises(HaloValidationError) as info:
        await client.create_ticket(creds, NewTicket("a"))
    assert expected in info.value.halo_message
    assert info.value.status == 400
    assert info.value.path == "/api/Tickets"
    assert info.value.method == "POST"


async def test_client_given_session_is_not_closed(creds: HaloCredentials) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with HaloClient(fast_config(), session=session) as client:
            assert (await client.list_statuses(creds))[0].name == "New"
        assert not session.closed


async def test_creates_are_serialised_per_tenant(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    active, peak = 0, 0

    async def slow_create(request: web.Request) -> web.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        return web.json_response({"id": 100 + peak}, status=201)

    fake.fail("POST", "/api/tickets", slow_create, times=5)
    await asyncio.gather(*(client.create_ticket(creds, NewTicket(f"t{i}")) for i in range(5)))
    assert peak == 1


async def test_non_json_success_is_halo_error(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    fake.fail("GET", "/api/status", lambda _r: web.Response(text="<html>login</html>"))
    with pytest.raises(HaloError) as info:
        await client.list_statuses(creds)
    assert info.value.reason == "halo_error"
    assert info.value.path == "/api/Status"


def referenced(n: int, summary: str | None = None) -> NewTicket:
    return NewTicket(summary or f"t{n}", supplier_reference=f"ref-{n}")


async def test_tickets_waiting_for_the_tenants_turn_go_in_one_request(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    made = await asyncio.gather(*(client.create_ticket(creds, referenced(n)) for n in range(6)))
    posts = [q for m, p, q, _ in fake.journal if m == "POST" and p.lower() == "/api/tickets"]
    assert posts == [{}, {"returnall": "true"}], "the first alone, the five that waited together"
    assert [t.summary for t in made] == [f"t{n}" for n in range(6)]  # each caller its own ticket
    assert len({t.id for t in made}) == 6 == len(fake.tickets)


async def test_a_request_carries_one_applications_tickets_and_every_ticket_is_sent() -> None:
    from streamproc.halopsa.creates import TenantCreates

    creates, posted = TenantCreates(), []

    def poster(app: str):
        async def post_many(tickets):
            posted.append((app, [t.supplier_reference for t in tickets]))
            await asyncio.sleep(0.01)
            return [
                {"id": 100 + len(posted) * 10 + i, "supplier_reference": t.supplier_reference}
                for i, t in enumerate(tickets)
            ]

        async def create_one(ticket, lookup):
            records = await post_many([ticket])
            from streamproc.halopsa.fields import Ticket

            return Ticket.parse(records[0])

        return post_many, create_one

    calls = []
    for n in range(8):
        app = "a" if n % 2 else "b"
        post_many, create_one = poster(app)
        calls.append(creates.create(referenced(n), post_many, create_one, app=app))
    made = await asyncio.gather(*calls)
    assert len({t.id for t in made}) == 8  # every caller got a ticket
    for app, refs in posted:
        owners = {"a" if int(r.split("-")[1]) % 2 else "b" for r in refs}
        assert owners == {app}, posted  # a request carries one application's tickets
    assert sorted(r for _, refs in posted for r in refs) == sorted(f"ref-{n}" for n in range(8))


async def test_a_refused_batch_is_created_one_by_one_after_a_lookup(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    tickets = [referenced(0), referenced(1), referenced(2, "refuse me"), referenced(3)]
    made = await asyncio.gather(
        *(client.create_ticket(creds, t) for t in tickets), return_exceptions=True
    )
    assert isinstance(made[2], HaloError)
    assert made[2].status == 400
    assert [t.summary for t in (made[0], made[1], made[3])] == ["t0", "t1", "t3"]
    assert len(fake.tickets) == 3


def hold_the_next_create(fake: FakeHalo) -> tuple[asyncio.Event, asyncio.Event]:
    """The next ticket POST waits for ``release``; ``arrived`` says it reached the fake."""
    arrived, release = asyncio.Event(), asyncio.Event()

    async def held(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()
        return web.json_response({"id": 7, "supplier_reference": "ref-0"}, status=201)

    fake.fail("POST", "/api/tickets", held)
    return arrived, release


async def test_an_outage_fails_every_ticket_of_the_batch(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    arrived, release = hold_the_next_create(fake)
    fake.fail("POST", "/api/tickets", lambda _r: web.Response(status=500))  # may have applied
    first = asyncio.create_task(client.create_ticket(creds, referenced(0)))
    await arrived.wait()  # ticket 0 is on its way: 1 and 2 queue behind it
    rest = [asyncio.create_task(client.create_ticket(creds, referenced(n))) for n in (1, 2)]
    await asyncio.sleep(0.01)
    release.set()
    assert (await first).id == 7
    failed = await asyncio.gather(*rest, return_exceptions=True)
    assert all(isinstance(e, HaloError) and e.status == 500 and e.ambiguous for e in failed)
    assert fake.count("POST", "/api/Tickets") == 2  # 1 and 2 went together, not resent


async def test_a_caller_cancelled_before_its_turn_creates_nothing(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    arrived, release = hold_the_next_create(fake)
    first = asyncio.create_task(client.create_ticket(creds, referenced(0)))
    await arrived.wait()
    gone, kept = (asyncio.create_task(client.create_ticket(creds, referenced(n))) for n in (1, 2))
    await asyncio.sleep(0.01)
    gone.cancel()
    release.set()
    await first
    assert (await kept).summary == "t2"
    bodies = [b for m, p, _q, b in fake.journal if m == "POST"]
    assert "ref-1" not in "".join(bodies)


async def test_a_rate_limited_batch_fails_every_ticket_with_the_wait(
    client: HaloClient, creds: HaloCredentials, fake: FakeHalo
) -> None:
    arrived, release = hold_the_next_create(fake)
    limited = lambda _r: web.Response(status=429, headers={"Retry-After": "7"})  # noqa: E731
    fake.fail("POST", "/api/tickets", limited)
    first = asyncio.create_task(client.create_ticket(creds, referenced(0)))
    await arrived.wait()
    rest = [asyncio.create_task(client.create_ticket(creds, referenced(n))) for n in (1, 2)]
    await asyncio.sleep(0.01)
    release.set()
    await first
    failed = await asyncio.gather(*rest, return_exceptions=True)
    assert all(isinstance(e, HaloRateLimitedError) and e.retry_after == 7 for e in failed)
