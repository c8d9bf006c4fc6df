"""The client against the project's HaloPSA sandbox, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from streamproc.halo_sandbox import SandboxConfig, create_app
from streamproc.halo_sandbox import seed as s
from streamproc.halopsa import (
    HaloAuthError,
    HaloClient,
    HaloCredentials,
    HaloNotFoundError,
    HaloPermissionError,
    HaloRateLimitedError,
    HaloScopeError,
    HaloTenantError,
    HaloUnavailableError,
    HaloValidationError,
    NewTicket,
    TicketState,
)
from tests.unit.halopsa.halo_fake import fast_config


class Sandbox:
    """A running sandbox and its admin routes."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    def creds(self, tenant_path: str = "", **kw: Any) -> HaloCredentials:
        return HaloCredentials(self.url + tenant_path, s.DEMO_CLIENT_ID, s.DEMO_CLIENT_SECRET, **kw)

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(method, f"{self.url}/_sandbox/{path}", json=body) as r:
            assert r.status < 300, await r.text()
            return await r.json()

    async def journal(self, **query: str) -> list[dict[str, Any]]:
        async with self.session.get(f"{self.url}/_sandbox/journal", params=query) as r:
            return (await r.json())["entries"]


@pytest.fixture
async def sandbox(aiohttp_server: Any) -> Any:
    server = await aiohttp_server(create_app(SandboxConfig(retry_after=True)))
    async with aiohttp.ClientSession() as session:
        yield Sandbox(str(server.make_url("")).rstrip("/"), session)


def _ticket(**kw: Any) -> NewTicket:
    values: dict[str, Any] = {"summary": "Disk failing", "client_id": s.CLIENT_ACME}
    return NewTicket(**(values | kw))


async def test_options_and_reference_data(sandbox: Sandbox, client: HaloClient) -> None:
    creds = sandbox.creds()
    options = await client.test_credentials(creds)
    assert [t.id for t in options.ticket_types] == [1, 2, 3, 4]
    assert options.sla_id == s.SLA_STANDARD
    assert [p.name for p in options.priorities] == list(s.PRIORITY_NAMES.values())
    no_sla = await client.test_credentials(creds, tickettype_id=s.TICKETTYPE_SERVICE_REQUEST)
    assert no_sla.sla_id is None
    assert [p.priority_id for p in no_sla.priorities] == [1, 2, 3, 4]
    assert s.STATUS_CLOSED in {st.id for st in await client.list_statuses(creds)}


async def test_auth_errors(sandbox: Sandbox, client: HaloClient) -> None:
    wrong = HaloCredentials(sandbox.url, s.DEMO_CLIENT_ID, "wrong-secret-42")
    with pytest.raises(HaloAuthError) as info:
        await client.test_credentials(wrong)
    assert "wrong-secret-42" not in repr(info.value) + str(info.value)
    with pytest.raises(HaloScopeError):
        await client.list_statuses(sandbox.creds(scope="read:actions"))
    await sandbox.admin("POST", "config", {"tenant_id": "acme"})
    with pytest.raises(HaloTenantError):
        await client.list_statuses(sandbox.creds(tenant="globex"))
    # without a tenant the one announced by /api/authinfo is used
    assert await client.list_statuses(sandbox.creds())


async def test_readonly_app_may_not_create(sandbox: Sandbox, client: HaloClient) -> None:
    creds = HaloCredentials(sandbox.url, s.READONLY_CLIENT_ID, s.READONLY_CLIENT_SECRET)
    with pytest.raises(HaloPermissionError) as info:
        await client.create_ticket(creds, _ticket())
    assert info.value.status == 403


async def test_asset_and_user_lookups(sandbox: Sandbox, client: HaloClient) -> None:
    creds = sandbox.creds()
    match = await client.find_asset_by_serial(creds, s.SERIALS[s.ASSET_ACME_LAPTOP].lower())
    assert match.asset is not None
    assert match.asset.id == s.ASSET_ACME_LAPTOP  # not the look-alike 47
    assert match.asset.user is not None
    assert match.asset.user.id == s.USER_ALICE
    renamed = await client.find_asset_by_serial(creds, s.SERIALS[s.ASSET_ACME_MAC])
    assert renamed.status == "field_missing"
    assert s.RENAMED_SERIAL_FIELD_NAME in renamed.field_names_seen
    configured = await client.find_asset_by_serial(
        creds, s.SERIALS[s.ASSET_ACME_MAC], field_name=s.RENAMED_SERIAL_FIELD_NAME
    )
    assert configured.status == "matched"
    inactive = await client.find_asset_by_serial(creds, s.SERIALS[s.ASSET_ACME_INACTIVE])
    assert inactive.status == "not_found"
    user = await client.find_user_by_email(creds, "ALICE@acme.example")
    assert user is not None
    assert (user.id, user.site_id) == (s.USER_ALICE, s.SITE_ACME_HQ)
    assert await client.find_user_by_email(creds, "nobody@acme.example") is None


async def test_warm_lookups_then_create_is_one_request(
    sandbox: Sandbox, client: HaloClient
) -> None:
    creds = sandbox.creds()
    serial = s.SERIALS[s.ASSET_ACME_DESKTOP]
    await client.find_asset_by_serial(creds, serial)
    await client.find_user_by_email(creds, s.USER_EMAILS[s.USER_BOB])
    await sandbox.admin("DELETE", "journal")
    asset = (await client.find_asset_by_serial(creds, serial)).asset
    user = await client.find_user_by_email(creds, s.USER_EMAILS[s.USER_BOB])
    assert asset is not None
    assert user is not None
    ticket = await client.create_ticket(
        creds,
        _ticket(
            client_id=asset.client_id,
            site_id=user.site_id,
            user_id=user.id,
            tickettype_id=s.TICKETTYPE_ALERT,
            priority_id=1,
            asset_ids=(asset.id,),
            supplier_reference="wm-alert-42",
        ),
    )
    assert [(e["method"], e["path"]) for e in await sandbox.journal()] == [("POST", "/api/Tickets")]
    stored = await sandbox.admin("GET", f"tickets/{ticket.id}")
    assert stored["user_id"] == s.USER_BOB
    assert stored["assets"][0]["id"] == s.ASSET_ACME_DESKTOP
    assert stored["supplier_reference"] == "wm-alert-42"


@pytest.mark.parametrize("shape", ["text", "classname", "modelstate"])
async def test_validation_messages(sandbox: Sandbox, client: HaloClient, shape: str) -> None:
    await sandbox.admin("POST", "config", {"error_shape": shape})
    with pytest.raises(HaloValidationError) as info:
        await client.create_ticket(sandbox.creds(), _ticket(tickettype_id=s.TICKETTYPE_CHANGE))
    assert "CODE:APP03/2" in info.value.halo_message
    assert not info.value.retriable


async def test_ticket_lifecycle_and_states(sandbox: Sandbox, client: HaloClient) -> None:
    creds = sandbox.creds()
    ids = [(await client.create_ticket(creds, _ticket(summary=f"t{i}"))).id for i in range(5)]
    await client.close_ticket(creds, ids[0], note="Alert cleared")
    await sandbox.admin("POST", f"tickets/{ids[1]}/close", {"note": "fixed"})
    await sandbox.admin("POST", f"tickets/{ids[2]}/delete")
    await sandbox.admin("POST", f"tickets/{ids[3]}/merge", {"into": ids[4]})
    assert await client.add_note(creds, ids[4], "still failing") is not None
    states = await client.ticket_states(creds, [*ids, 999_999])
    assert states == {
        ids[0]: TicketState.CLOSED,
        ids[1]: TicketState.CLOSED,
        ids[2]: TicketState.MISSING,
        ids[3]: TicketState.CLOSED,
        ids[4]: TicketState.OPEN,
        999_999: TicketState.MISSING,
    }
    assert (await client.get_ticket(creds, ids[0])).has_been_closed
    with pytest.raises(HaloNotFoundError):
        await client.get_ticket(creds, 999_999)
    token = await client.tokens.token(creds)
    async with sandbox.session.get(
        f"{sandbox.url}/api/Actions",
        params={"ticket_id": str(ids[4])},
        headers={"Authorization": f"Bearer {token}"},
    ) as resp:
        notes = (await resp.json())["actions"]
    note = next(a for a in notes if a["note"] == "still failing")
    assert note["outcome"] == "Internal Note"
    assert note["hiddenfromuser"] is True


async def test_close_via_action(sandbox: Sandbox) -> None:
    creds = sandbox.creds()
    async with HaloClient(fast_config(close_via_action=True)) as client:
        ticket = await client.create_ticket(creds, _ticket())
        await client.close_ticket(creds, ticket.id, note="Alert cleared")
        assert (await client.ticket_states(creds, [ticket.id]))[ticket.id] is TicketState.CLOSED
    stored = await sandbox.admin("GET", f"tickets/{ticket.id}")
    assert stored["closure_note"] == "Alert cleared"


async def test_lost_reply_on_create_then_lookup(sandbox: Sandbox, client: HaloClient) -> None:
    creds = sandbox.creds()
    await sandbox.admin("POST", "faults", {"kind": "lost_reply", "path": "/api/tickets"})
    with pytest.raises(HaloUnavailableError) as info:
        await client.create_ticket(creds, _ticket(supplier_reference="wm-7"))
    assert info.value.ambiguous
    again = await client.create_ticket(creds, _ticket(supplier_reference="wm-7"), lookup_first=True)
    assert len((await sandbox.admin("GET", "tickets"))["tickets"]) == 1
    found = await client.find_ticket_by_supplier_reference(creds, "wm-7")
    assert found is not None
    assert found.id == again.id


async def test_faults_are_survived(sandbox: Sandbox, client: HaloClient) -> None:
    creds = sandbox.creds()
    await client.list_statuses(creds)
    await sandbox.admin("POST", "faults", {"kind": "error5xx", "path": "/api/status", "count": 2})
    await sandbox.admin("POST", "faults", {"kind": "token_expiry", "path": "/api/tickettype"})
    await sandbox.admin("POST", "faults", {"kind": "drop_connection", "path": "/api/priority"})
    assert await client.list_statuses(creds)
    assert await client.list_ticket_types(creds)
    assert await client.list_priorities(creds, s.SLA_STANDARD)
    assert client.stats.total(creds.tenant_key, "/auth/token") == 2


async def test_rate_limit_fault_reports_retry_after(sandbox: Sandbox, client: HaloClient) -> None:
    await sandbox.admin("POST", "faults", {"kind": "rate_limit", "path": "/api/status"})
    with pytest.raises(HaloRateLimitedError) as info:
        await client.list_statuses(sandbox.creds())
    assert info.value.retry_after == 300.0
    assert "Rate Limit Reached" in info.value.halo_message


async def test_burst_against_sandbox_limit_and_tenants(sandbox: Sandbox) -> None:
    await sandbox.admin("POST", "config", {"rate_limit": 40, "rate_window": 0.2})
    root, acme = sandbox.creds(), sandbox.creds("/t/acme")
    config = fast_config(rate_limit_requests=40, rate_limit_window=0.2, timeout_total=10.0)
    async with HaloClient(config) as client:
        await asyncio.gather(*(client.list_statuses(c) for c in (root, acme) for _ in range(150)))
        waits = client.limiter_wait_seconds()
    statuses = {k[3] for k in client.stats.snapshot()}
    assert statuses == {200}
    assert set(waits) == {root.tenant_key, acme.tenant_key}


async def test_actions_notes_and_reopen_against_the_sandbox(
    sandbox: Sandbox, client: HaloClient
) -> None:
    creds = sandbox.creds()
    ticket = await client.create_ticket(creds, _ticket())
    assert ticket.agent_id in (None, 0)
    note_id = await client.add_note(creds, ticket.id, "[streamproc] noted")
    await sandbox.admin("POST", f"tickets/{ticket.id}/touch", {"kind": "time", "hours": 1})
    actions = await client.list_actions(creds, ticket.id)
    assert [(a.id, a.note, a.time_taken) for a in actions] == [
        (note_id, "[streamproc] noted", 0.0),
        (actions[1].id, "", 1.0),
    ]
    assert actions[1].who == "Technician"
    await client.close_ticket(creds, ticket.id)
    assert (await client.get_ticket(creds, ticket.id)).is_closed()
    await client.reopen_ticket(creds, ticket.id, 1)
    reopened = await client.get_ticket(creds, ticket.id)
    assert not reopened.is_closed()
    assert (await client.ticket_states(creds, [ticket.id]))[ticket.id] is TicketState.OPEN
