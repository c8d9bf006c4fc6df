"""The Halo calls of a credential test (``core/credentials.py``), run by the instance owner's
executor like any other job: within the instance's budget, never from a web view.

Authenticate, read the pick-lists, probe the read permissions the pipeline needs, and check the
defaults, the priority matrix and the "won't fix" statuses against what Halo offers. A failure
is the 422 body the API answers: ``credentials_rejected``, ``scope_invalid``,
``tenant_unknown``, ``permission_denied``, ``halo_unavailable``, ``rate_limited``,
``halo_error`` (from the Halo client) or ``invalid_default`` (an id Halo does not offer).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from streamproc.contracts.policies import MatrixEntry
from streamproc.core.credentials import CredentialsTested, TestCredentials, invalid_default
from streamproc.halopsa import HaloCredentials, HaloError, HaloOptions, Priority
from streamproc.halopsa.fields import Status
from streamproc.secretbox import SecretUnreadableError

PROBE_DOMAIN = "streamproc-permission-check.invalid"


class HaloLike(Protocol):
    """The HaloClient calls used here (a fake in unit tests)."""

    async def test_credentials(
        self, creds: HaloCredentials, tickettype_id: int | None = None
    ) -> HaloOptions: ...

    async def list_priorities(
        self, creds: HaloCredentials, sla_id: int | None = None
    ) -> list[Priority]: ...

    async def find_user_by_email(self, creds: HaloCredentials, email: str) -> object: ...

    async def list_statuses(self, creds: HaloCredentials) -> list[Status]: ...

    async def find_asset_by_serial(
        self, creds: HaloCredentials, serial: str, field_name: str | None = None
    ) -> object: ...

    async def list_clients(
        self, creds: HaloCredentials, search: str | None = None, limit: int = 100
    ) -> tuple[int, list[dict[str, Any]]]: ...

    async def list_sites(self, creds: HaloCredentials, client_id: int) -> list[dict[str, Any]]: ...


class Wanted(Protocol):
    """What the test checks: the fields an IntegrationConfig and the API's body share."""

    @property
    def default_tickettype_id(self) -> int | None: ...
    @property
    def default_priority_id(self) -> int | None: ...
    @property
    def serial_field_name(self) -> str: ...
    @property
    def no_reopen_status_ids(self) -> Sequence[int]: ...
    @property
    def priority_matrix(self) -> Sequence[MatrixEntry]: ...
    @property
    def default_client_id(self) -> int | None: ...


class Refused(Exception):
    """The credentials or a configured id failed the test; ``body`` is the 422 body."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.body = body


def halo_error_body(err: HaloError) -> dict[str, Any]:
    """The 422 body for a failed credential test: ``{"error": reason, "message", "action"}``."""
    return {"error": err.reason, "message": str(err.summary), "action": err.action}


def options_json(options: HaloOptions) -> dict[str, Any]:
    """``{"priorities": [...], "ticket_types": [...]}`` pick-lists for the settings form."""
    return {
        "ticket_types": [
            {
                "id": t.id,
                "name": t.name,
                "sla_id": t.sla_id,
                "default_priority_id": t.default_priority,
            }
            for t in options.ticket_types
        ],
        "priorities": [
            {"id": p.priority_id, "name": p.name, "sla_id": p.sla_id} for p in options.priorities
        ],
        "ticket_type_id": options.ticket_type.id if options.ticket_type else None,
    }


async def run_credentials_test(
    halo: HaloLike, creds: Callable[[], HaloCredentials], action: TestCredentials, wanted: Wanted
) -> CredentialsTested:
    """The answer to ``action`` (``creds``: the job config's credentials, secret decrypted)."""
    try:
        clear = creds()
        options = await check_credentials(halo, clear, wanted)
        names = await directory(halo, clear, wanted, action.client_search)
    except Refused as refused:
        return CredentialsTested(event_id=action.event_id, error=refused.body)
    except SecretUnreadableError:  # encrypted a moment ago with the same key: a key mismatch
        body = {
            "error": "secret_unreadable",
            "message": "The worker that owns this Halo instance cannot decrypt the secret.",
            "action": "Give every worker the same STREAMPROC_SECRET_KEY, then try again.",
        }
        return CredentialsTested(event_id=action.event_id, error=body)
    return CredentialsTested(event_id=action.event_id, options=options_json(options) | names)


CLIENTS_SHOWN = 100  # one page of GET /api/Client; more are found by the page's search


def _named(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "name": str(r.get("name") or "")} for r in rows if r.get("id")]


async def directory(
    halo: HaloLike, creds: HaloCredentials, wanted: Wanted, search: str | None
) -> dict[str, Any]:
    """Names for the rest of the form, in at most three more requests: a page of clients (the
    matches of ``search``), the sites of the default client, and the ticket statuses.

    ``clients_total`` is Halo's count: more than listed means the page offers its search."""
    try:
        total, clients = await halo.list_clients(creds, search or None, CLIENTS_SHOWN)
        client_id = wanted.default_client_id
        sites = await halo.list_sites(creds, client_id) if client_id is not None else []
        statuses = await halo.list_statuses(creds)
    except HaloError as err:
        raise Refused(halo_error_body(err)) from None
    return {
        "clients": _named(clients),
        "clients_total": total,
        "client_search": search or None,
        "sites": _named(sites),
        "sites_client_id": client_id,
        "statuses": [{"id": s.id, "name": s.name} for s in statuses],
    }


async def check_credentials(halo: HaloLike, creds: HaloCredentials, wanted: Wanted) -> HaloOptions:
    """Halo's pick-lists, once every check passed (:class:`Refused` otherwise)."""
    try:
        options = await halo.test_credentials(creds, tickettype_id=wanted.default_tickettype_id)
    except HaloError as err:
        type_id = wanted.default_tickettype_id
        if type_id is not None and err.reason == "not_found" and not err.status:
            raise Refused(
                invalid_default(
                    "default_tickettype_id",
                    f"Halo has no ticket type {type_id}.",
                    "Choose a ticket type from the list Halo returned (options.ticket_types).",
                ),
            ) from None
        raise Refused(halo_error_body(err)) from None
    try:
        probe = uuid.uuid4().hex
        await halo.find_user_by_email(creds, f"{probe}@{PROBE_DOMAIN}")  # read:customers
        await halo.find_asset_by_serial(creds, f"SPCHECK{probe}", wanted.serial_field_name)
        if wanted.default_priority_id is not None:
            typed = wanted.default_tickettype_id is not None
            pool = options.priorities if typed else await halo.list_priorities(creds)
            if wanted.default_priority_id not in {p.priority_id for p in pool}:
                raise Refused(
                    invalid_default(
                        "default_priority_id",
                        f"Priority {wanted.default_priority_id} is not offered for this ticket "
                        "type's SLA.",
                        "Choose a priority from the list Halo returned (options.priorities).",
                    ),
                )
        await check_policies(halo, creds, wanted, options)
    except HaloError as err:
        raise Refused(halo_error_body(err)) from None
    return options


async def check_policies(
    halo: HaloLike, creds: HaloCredentials, wanted: Wanted, options: HaloOptions
) -> None:
    """Refused, naming the first priority matrix entry Halo would refuse (a ticket type Halo
    does not have, or a priority, its own or the default, not offered by its ticket type's SLA),
    or a "won't fix" status Halo does not have."""
    if wanted.no_reopen_status_ids:
        known = {status.id for status in await halo.list_statuses(creds)}
        for index, status_id in enumerate(wanted.no_reopen_status_ids):
            if status_id not in known:
                raise Refused(
                    invalid_default(
                        f"no_reopen_status_ids[{index}]",
                        f"Halo has no ticket status {status_id}.",
                        "Choose the closed statuses that mean 'won't fix' from Halo's statuses.",
                    ),
                )
    types = {t.id: t for t in options.ticket_types}
    pools: dict[int | None, set[int]] = {}
    for index, entry in enumerate(wanted.priority_matrix):
        where = f"priority_matrix[{index}]"
        type_id = entry.tickettype_id or wanted.default_tickettype_id
        if entry.tickettype_id is not None and entry.tickettype_id not in types:
            raise Refused(
                invalid_default(
                    f"{where}.tickettype_id",
                    f"Entry {index + 1} of the priority matrix names ticket type"
                    f" {entry.tickettype_id}, which Halo does not have.",
                    "Choose a ticket type from the list Halo returned (options.ticket_types).",
                ),
            )
        priority = entry.priority_id or wanted.default_priority_id
        if priority is None:
            continue
        sla = types[type_id].sla_id if type_id in types else None
        if sla not in pools:
            pools[sla] = {p.priority_id for p in await halo.list_priorities(creds, sla)}
        if priority not in pools[sla]:
            field = "priority_id" if entry.priority_id else "tickettype_id"
            raise Refused(
                invalid_default(
                    f"{where}.{field}",
                    f"Entry {index + 1} of the priority matrix gives priority {priority}, which"
                    f" ticket type {type_id}'s SLA does not offer.",
                    "Choose a priority of that ticket type's SLA (Halo's priorities are per"
                    " SLA), or another ticket type.",
                ),
            )
