"""Live credential test and secret handling, with a fake Halo client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from streamproc.core.credentials import TestCredentials
from streamproc.halopsa import (
    HaloAuthError,
    HaloCredentials,
    HaloNotFoundError,
    HaloOptions,
    HaloPermissionError,
    HaloTenantError,
    HaloUnavailableError,
    Priority,
    TicketType,
)
from streamproc.halopsa.fields import Status
from streamproc.instances.credentials_check import run_credentials_test
from streamproc.secretbox import SecretBox
from streamproc.web.addresses import AddressPolicy
from streamproc.web.integration_service import body_of, prepare_config, resolve_secret
from streamproc.web.integration_service import test_integration as _check_live
from streamproc.web.validation import BodyError, IntegrationBody, validate_integration

BOX = SecretBox(SecretStr(Fernet.generate_key().decode()))
# long enough that the encrypted secret (random base64) never contains it by chance
SECRET = "pw-never-in-the-clear"
INCIDENT = TicketType(1, "Incident", 1, 3, {})
PRIOS = tuple(Priority(i, n, 1, {}) for i, n in ((1, "Critical"), (3, "Medium")))


class FakeHalo:
    def __init__(self, fail: Exception | None = None, probe_fail: Exception | None = None):
        self.fail, self.probe_fail, self.calls = fail, probe_fail, []

    async def test_credentials(self, creds, tickettype_id=None):
        self.calls.append(("test", creds.secret, tickettype_id))
        if self.fail:
            raise self.fail
        if tickettype_id not in (None, 1):
            raise HaloNotFoundError("no type", method="GET", path="/api/TicketType")
        return HaloOptions((INCIDENT,), PRIOS, INCIDENT, 1)

    async def list_priorities(self, creds, sla_id=None):
        return [*PRIOS, Priority(4, "Low", 2, {})]

    async def find_user_by_email(self, creds, email):
        self.calls.append(("user", email))
        if self.probe_fail:
            raise self.probe_fail

    async def find_asset_by_serial(self, creds, serial, field_name=None):
        self.calls.append(("asset", field_name))

    async def list_clients(self, creds, search=None, limit=100):
        self.calls.append(("clients", search, limit))
        rows = [{"id": 11, "name": "Acme Corporation"}, {"id": 12, "name": "Globex Ltd"}]
        return 2, [r for r in rows if not search or search.lower() in r["name"].lower()]

    async def list_sites(self, creds, client_id):
        self.calls.append(("sites", client_id))
        return [{"id": 21, "name": "Acme HQ", "client_id": 11}] if client_id == 11 else []

    async def list_statuses(self, creds):
        return [Status(1, "New", {}), Status(9, "Closed", {})]


async def public(host: str, port: int) -> list[str]:
    return ["8.8.8.8"]


async def check_live(halo, b, secret, resolver=public, client_search=None):
    """The web path with the owner's part run in-process: the job's config carries the secret
    encrypted, and the owner decrypts it (as ``HaloExecutor.credentials`` does)."""
    configs = []

    async def ask(config, search):
        configs.append(config)

        def creds():
            return HaloCredentials(
                base_url=config.base_url,
                client_id=config.client_id,
                client_secret=BOX.decrypt(config.client_secret_encrypted),
                tenant=config.tenant,
            )

        action = TestCredentials(company_id=config.company_id, event_id="t1", client_search=search)
        return await run_credentials_test(halo, creds, action, config)

    policy = AddressPolicy()
    options = await _check_live(
        ask, "acme", b, secret, BOX, policy=policy, resolver=resolver, client_search=client_search
    )
    assert secret not in configs[0].model_dump_json()  # only the encrypted secret travels
    return options


def body(**overrides: object) -> IntegrationBody:
    data = {"base_url": "https://acme.halopsa.com", "client_id": "cid", "client_secret": SECRET}
    return IntegrationBody.model_validate({**data, **overrides})


async def rejected(halo, b) -> dict:
    with pytest.raises(BodyError) as info:
        await check_live(halo, b, SECRET)
    assert info.value.status == 422
    return info.value.body


async def test_good_credentials_probe_permissions_and_return_options():
    halo = FakeHalo()
    options = await check_live(halo, body(default_tickettype_id=1, default_priority_id=3), SECRET)
    assert [p["id"] for p in options["priorities"]] == [1, 3]
    assert options["ticket_type_id"] == 1
    assert [c[0] for c in halo.calls] == ["test", "user", "asset", "clients"]
    assert halo.calls[0] == ("test", SECRET, 1)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (HaloAuthError("bad"), "credentials_rejected"),
        (HaloTenantError("bad"), "tenant_unknown"),
        (HaloUnavailableError("down"), "halo_unavailable"),
        (HaloNotFoundError("404", status=404), "not_found"),
    ],
)
async def test_halo_errors_become_422_with_reason_and_action(error, reason):
    out = await rejected(FakeHalo(fail=error), body())
    assert out["error"] == reason
    assert out["action"] == type(error).action


async def test_missing_permission_found_by_probe():
    out = await rejected(FakeHalo(probe_fail=HaloPermissionError("403", status=403)), body())
    assert out["error"] == "permission_denied"


async def test_invalid_defaults():
    out = await rejected(FakeHalo(), body(default_tickettype_id=7))
    assert (out["error"], out["field"]) == ("invalid_default", "default_tickettype_id")
    out = await rejected(FakeHalo(), body(default_tickettype_id=1, default_priority_id=4))
    assert (out["error"], out["field"]) == ("invalid_default", "default_priority_id")
    # without a ticket type the priority is checked against all SLAs' priorities
    await check_live(FakeHalo(), body(default_priority_id=4), SECRET)


def test_resolve_secret():
    stored = prepare_config(
        "acme", body(), "stored-pw", None, BOX, webhook_key=b"w" * 32, now=datetime.now(UTC)
    ).config
    assert resolve_secret(body(client_secret="new"), stored, BOX) == "new"
    assert resolve_secret(body(client_secret=None), stored, BOX) == "stored-pw"
    for changed in (
        body(client_secret=None, base_url="https://evil.example.com"),
        body(client_secret=None, client_id="other"),
        body(client_secret=None, tenant="t2"),
    ):
        with pytest.raises(BodyError) as info:
            resolve_secret(changed, stored, BOX)
        assert info.value.body["fields"][0]["field"] == "client_secret"
    with pytest.raises(BodyError):
        resolve_secret(body(client_secret=None), None, BOX)
    other_box = SecretBox(SecretStr(Fernet.generate_key().decode()))
    with pytest.raises(BodyError) as info:
        resolve_secret(body(client_secret=None), stored, other_box)
    assert "decrypted" in info.value.body["fields"][0]["message"]


async def test_a_name_resolving_to_a_metadata_address_never_reaches_halo():
    async def metadata(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    halo = FakeHalo()
    with pytest.raises(BodyError) as info:
        await check_live(halo, body(), SECRET, resolver=metadata)
    assert info.value.status == 422
    assert info.value.body["fields"][0]["field"] == "base_url"
    assert halo.calls == []  # the client secret was never sent


def test_body_of_a_stored_config_saves_it_again():
    stored = prepare_config(
        "acme",
        body(default_priority_id=3, use_reference_email=True),
        "stored-pw",
        None,
        BOX,
        webhook_key=b"w" * 32,
        now=datetime.now(UTC),
    ).config
    again = body_of(stored, AddressPolicy())
    assert again.client_secret is None  # keeps the stored one
    assert (again.default_priority_id, again.use_reference_email) == (3, True)
    assert again.base_url == stored.base_url


class SlaHalo(FakeHalo):
    """Two ticket types on two SLAs: SLA 1 offers priorities 1 and 3, SLA 2 offers 4."""

    async def test_credentials(self, creds, tickettype_id=None):
        await super().test_credentials(creds, tickettype_id)
        change = TicketType(2, "Change", 2, 4, {})
        return HaloOptions((INCIDENT, change), PRIOS, INCIDENT, 1)

    async def list_priorities(self, creds, sla_id=None):
        return [p for p in await super().list_priorities(creds) if p.sla_id == sla_id]


async def test_priority_matrix_entries_are_checked_against_halo_per_sla():
    good = body(
        default_tickettype_id=1,
        default_priority_id=3,
        priority_matrix=[
            {"severity": "critical", "priority_id": 1},
            {"alert_name_pattern": "Backup*", "tickettype_id": 2, "priority_id": 4},
        ],
    )
    await check_live(SlaHalo(), good, SECRET)
    no_type = body(default_tickettype_id=1, priority_matrix=[{"severity": "x", "tickettype_id": 7}])
    error = await rejected(SlaHalo(), no_type)
    assert (error["error"], error["field"]) == (
        "invalid_default",
        "priority_matrix[0].tickettype_id",
    )
    wrong_sla = body(
        default_tickettype_id=1,
        default_priority_id=3,
        priority_matrix=[{"severity": "info", "priority_id": 3}, {"priority_id": 4}],
    )
    error = await rejected(SlaHalo(), wrong_sla)
    assert error["field"] == "priority_matrix[1].priority_id"
    assert "Entry 2" in error["message"]
    # the default priority 3 is not on the Change type's SLA: the entry must give its own
    inherited = body(
        default_tickettype_id=1, default_priority_id=3, priority_matrix=[{"tickettype_id": 2}]
    )
    assert (await rejected(SlaHalo(), inherited))["field"] == "priority_matrix[0].tickettype_id"


def test_a_matrix_entry_must_set_something():
    with pytest.raises(BodyError) as info:
        validate_integration(
            {
                "base_url": "https://acme.halopsa.com",
                "client_id": "cid",
                "priority_matrix": [{"severity": "critical"}],
            },
            AddressPolicy(),
        )
    assert info.value.status == 422
    assert info.value.body["fields"][0]["field"] == "priority_matrix.0"


async def test_no_reopen_statuses_must_exist_in_halo():
    class WithStatuses(FakeHalo):
        async def list_statuses(self, creds):
            return [Status(1, "New", {}), Status(9, "Closed", {}), Status(12, "Won't fix", {})]

    await check_live(WithStatuses(), body(no_reopen_status_ids=[12]), SECRET)
    error = await rejected(WithStatuses(), body(no_reopen_status_ids=[12, 13]))
    assert (error["error"], error["field"]) == ("invalid_default", "no_reopen_status_ids[1]")


async def test_options_name_clients_sites_and_statuses_in_three_more_requests():
    halo = FakeHalo()
    options = await check_live(halo, body(default_client_id=11), SECRET)
    assert options["clients"] == [
        {"id": 11, "name": "Acme Corporation"},
        {"id": 12, "name": "Globex Ltd"},
    ]
    assert options["clients_total"] == 2
    assert options["sites"] == [{"id": 21, "name": "Acme HQ"}]
    assert options["sites_client_id"] == 11
    assert {"id": 9, "name": "Closed"} in options["statuses"]
    assert ("clients", None, 100) in halo.calls
    assert ("sites", 11) in halo.calls


async def test_client_search_reaches_halo_and_no_default_client_reads_no_sites():
    halo = FakeHalo()
    options = await check_live(halo, body(), SECRET, client_search="glob")
    assert options["clients"] == [{"id": 12, "name": "Globex Ltd"}]
    assert options["client_search"] == "glob"
    assert options["sites"] == []
    assert not [c for c in halo.calls if c[0] == "sites"]
