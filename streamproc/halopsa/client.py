"""HaloClient: the typed calls the project makes to HaloPSA, for any number of tenants."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from streamproc.halopsa import fields as f
from streamproc.halopsa._base import PAGE, HaloClientBase, action_body, last_object
from streamproc.halopsa.config import HaloCredentials
from streamproc.halopsa.creates import TenantCreates
from streamproc.halopsa.errors import HaloError, HaloNotFoundError
from streamproc.halopsa.fields import Action, Asset, Priority, Status, Ticket, TicketType, User
from streamproc.halopsa.models import (
    AssetMatch,
    HaloOptions,
    NewTicket,
    TicketState,
    match_assets,
    match_user,
)

TICKET_BATCH = 100


class HaloClient(HaloClientBase):
    """Async HaloPSA client shared by a whole process: one pooled session, many tenants.

    Every call takes the tenant's `HaloCredentials`. Tokens, rate budgets, ticket-creation locks
    and lookup caches are kept per tenant. Pass `session` to share an existing
    `aiohttp.ClientSession` (it is then not closed by `close()`); `observer` receives one
    `RequestObservation` per HTTP request. All calls raise `HaloError` subclasses (see errors.py).
    """

    # Reference data

    async def list_ticket_types(self, creds: HaloCredentials) -> list[TicketType]:
        """All ticket types (``GET /api/TicketType``)."""
        return [
            TicketType.parse(r) for r in await self._rows(creds, "/api/TicketType", "tickettypes")
        ]

    async def list_priorities(
        self, creds: HaloCredentials, sla_id: int | None = None
    ) -> list[Priority]:
        """Priorities of one SLA (``GET /api/Priority?slaid=``), or of all SLAs when None."""
        params = {"slaid": str(sla_id)} if sla_id is not None else None
        rows = [
            Priority.parse(r)
            for r in await self._rows(creds, "/api/Priority", "priorities", params)
        ]
        if sla_id is not None:  # in case the server ignored slaid
            rows = [p for p in rows if p.sla_id in (None, sla_id)]
        return rows

    async def priorities_for_ticket_type(
        self, creds: HaloCredentials, ticket_type: TicketType
    ) -> list[Priority]:
        """Priorities valid for tickets of `ticket_type` (its SLA's; one per id if it has none)."""
        if ticket_type.sla_id is not None:
            return await self.list_priorities(creds, ticket_type.sla_id)
        unique: dict[int, Priority] = {}
        for priority in await self.list_priorities(creds):
            unique.setdefault(priority.priority_id, priority)
        return sorted(unique.values(), key=lambda p: p.priority_id)

    async def list_statuses(self, creds: HaloCredentials) -> list[Status]:
        """All ticket statuses (``GET /api/Status``)."""
        return [Status.parse(r) for r in await self._rows(creds, "/api/Status", "statuses")]

    async def test_credentials(
        self, creds: HaloCredentials, tickettype_id: int | None = None
    ) -> HaloOptions:
        """Check credentials with a fresh token and read the settings pick-lists.

        Priorities are those of `tickettype_id`'s SLA, or of the first ticket type when None.
        Raises the auth errors for bad credentials and HaloNotFoundError for an unknown type.
        """
        self.tokens.forget(creds)
        await self.tokens.token(creds)
        types = await self.list_ticket_types(creds)
        chosen = next((t for t in types if tickettype_id in (None, t.id)), None)
        if tickettype_id is not None and chosen is None:
            raise HaloNotFoundError(
                f"Halo has no ticket type {tickettype_id}.",
                method="GET",
                path="/api/TicketType",
                action="Choose a ticket type from the list Halo returned.",
            )
        priorities = await self.priorities_for_ticket_type(creds, chosen) if chosen else []
        return HaloOptions(
            tuple(types), tuple(priorities), chosen, chosen.sla_id if chosen else None
        )

    # Lookups

    async def find_asset_by_serial(
        self, creds: HaloCredentials, serial: str, field_name: str | None = None
    ) -> AssetMatch:
        """The asset whose field `field_name` (default: config's "Serial Number") equals `serial`.

        Costs one search plus one ``GET /api/Asset/{id}`` per candidate listed without fields
        (and for the match when it came without its users); the result is cached per tenant.
        """
        name = field_name or self.config.serial_field_name

        async def fetch() -> tuple[AssetMatch, bool]:
            match = await self._search_asset(creds, serial, name)
            return match, match.asset is None

        key = f"{name}\x00{serial}"
        return await self.cache.lookup(creds.tenant_key, "asset", key, fetch, caller=creds.app_key)

    async def _search_asset(self, creds: HaloCredentials, serial: str, name: str) -> AssetMatch:
        params = {
            "search": serial.strip(),
            "includeassetfields": "true",
            "page_size": "50",
            **PAGE,
        }
        rows = [
            Asset.parse(r) for r in await self._rows(creds, "/api/Asset", f.ASSETS_LIST, params)
        ]
        full = await self._full_assets(creds, [a for a in rows if a.fields is None])
        candidates = [full.get(a.id, a) for a in rows]
        match = match_assets(candidates, serial, name)
        if match.asset is not None and not match.asset.has_users_list:
            asset = Asset.parse(await self._object(creds, f"/api/Asset/{match.asset.id}"))
            match = AssetMatch("matched", serial, name, asset, match.duplicates)
        return match

    async def _full_assets(self, creds: HaloCredentials, rows: Iterable[Asset]) -> dict[int, Asset]:
        full: dict[int, Asset] = {}
        for asset in list(rows)[: self.config.asset_full_fetch_limit]:
            try:
                full[asset.id] = Asset.parse(await self._object(creds, f"/api/Asset/{asset.id}"))
            except HaloNotFoundError:
                continue  # deleted between search and fetch
        return full

    async def find_user_by_email(self, creds: HaloCredentials, email: str) -> User | None:
        """The user whose email address equals `email` (case-insensitive), cached per tenant."""

        async def fetch() -> tuple[User | None, bool]:
            params = {"search": email.strip(), "page_size": "50", **PAGE}
            rows = await self._rows(creds, "/api/Users", f.USERS, params)
            user = match_user([User.parse(r) for r in rows], email)
            return user, user is None

        return await self.cache.lookup(creds.tenant_key, "user", email, fetch, caller=creds.app_key)

    async def asset_field_names(self, creds: HaloCredentials, sample: int = 20) -> set[str]:
        """The field names a sample of assets carries (fields listed, or fetched one by one)."""
        params = {"includeassetfields": "true", "page_size": str(sample), **PAGE}
        rows = [
            Asset.parse(r) for r in await self._rows(creds, "/api/Asset", f.ASSETS_LIST, params)
        ]
        full = await self._full_assets(creds, [a for a in rows if a.fields is None])
        return {name for a in rows for name, _ in (full.get(a.id, a).fields or ())}

    async def get_client(self, creds: HaloCredentials, client_id: int) -> dict[str, Any]:
        """One client (``GET /api/Client/{id}``); HaloNotFoundError if it does not exist."""
        return await self._object(creds, f"/api/Client/{int(client_id)}")

    async def get_site(self, creds: HaloCredentials, site_id: int) -> dict[str, Any]:
        """One site (``GET /api/Site/{id}``); HaloNotFoundError if it does not exist."""
        return await self._object(creds, f"/api/Site/{int(site_id)}")

    async def list_clients(
        self, creds: HaloCredentials, search: str | None = None, limit: int = 100
    ) -> tuple[int, list[dict[str, Any]]]:
        """One page of active clients by name (``GET /api/Client``): ``(record_count, rows)``.

        Halo may hold thousands: the caller shows the first ``limit`` and searches for the rest."""
        params = {"pageinate": "true", "page_size": str(limit), "page_no": "1", "order": "name"}
        if search:
            params["search"] = search
        response = await self._api(creds, "GET", "/api/Client", params=params)
        body = response.json()
        rows = body.get("clients") if isinstance(body, dict) else body
        rows = [r for r in rows or [] if isinstance(r, dict)][:limit]
        total = f.as_int(body.get(f.RECORD_COUNT)) if isinstance(body, dict) else None
        return (total if total is not None else len(rows)), rows

    async def list_sites(self, creds: HaloCredentials, client_id: int) -> list[dict[str, Any]]:
        """The active sites of one client (``GET /api/Site?client_id=``)."""
        params = {"client_id": str(int(client_id))}
        rows = await self._rows(creds, "/api/Site", "sites", params)
        return [r for r in rows if f.as_int(r.get(f.CLIENT_ID)) in (None, int(client_id))]

    # Tickets

    async def get_ticket(self, creds: HaloCredentials, ticket_id: int) -> Ticket:
        """One ticket (``GET /api/Tickets/{id}``); HaloNotFoundError if it does not exist."""
        return Ticket.parse(await self._object(creds, f"/api/Tickets/{int(ticket_id)}"))

    async def ticket_states(
        self, creds: HaloCredentials, ticket_ids: Iterable[int]
    ) -> dict[int, TicketState]:
        """Open/closed/missing state of many tickets, one request per 100 ids."""
        ids = sorted({int(i) for i in ticket_ids})
        states: dict[int, TicketState] = {}
        closed = self.config.closed_status_ids | {self.config.closed_status_id}
        for start in range(0, len(ids), TICKET_BATCH):
            batch = ids[start : start + TICKET_BATCH]
            params = {"ticketids": ",".join(map(str, batch)), "page_size": "100", **PAGE}
            rows = await self._rows(creds, "/api/Tickets", f.TICKETS, params)
            found = {t.id: t for t in map(Ticket.parse, rows)}
            for ticket_id in batch:
                ticket = found.get(ticket_id)
                if ticket is None:
                    states[ticket_id] = TicketState.MISSING
                elif ticket.is_closed(closed):
                    states[ticket_id] = TicketState.CLOSED
                else:
                    states[ticket_id] = TicketState.OPEN
        return states

    async def find_ticket_by_supplier_reference(
        self, creds: HaloCredentials, reference: str
    ) -> Ticket | None:
        """The ticket (lowest id) whose supplier reference equals `reference`, if any."""
        params = {"search_supplier_reference": reference, "page_size": "100", **PAGE}
        rows = await self._rows(creds, "/api/Tickets", f.TICKETS, params)
        tickets = [
            Ticket.parse(r)
            for r in rows
            if f.SUPPLIER_REFERENCE not in r or str(r[f.SUPPLIER_REFERENCE]) == reference
        ]
        return min(tickets, key=lambda t: t.id) if tickets else None

    async def create_ticket(
        self, creds: HaloCredentials, ticket: NewTicket, *, lookup_first: bool = False
    ) -> Ticket:
        """Create `ticket`; creations are serialised per tenant (Halo races on numbering).

        Tickets with a `supplier_reference` that wait for the tenant's turn go together in one
        request (see creates.py). Never resent blindly: if the request may have reached Halo,
        raises HaloUnavailableError with ``ambiguous=True``. Retry with ``lookup_first=True`` to
        first look for a ticket with the same `supplier_reference` and return it instead of
        creating a duplicate.
        """
        creates = self._creates.setdefault(creds.tenant_key, TenantCreates())

        async def create_one(one: NewTicket, lookup: bool) -> Ticket:
            return await self._create_one(creds, one, lookup_first=lookup)

        async def post_many(many: Sequence[NewTicket]) -> list[dict[str, Any]]:
            return await self._post_tickets(creds, many)

        if lookup_first or not ticket.supplier_reference:
            async with creates.lock:
                return await create_one(ticket, lookup_first)
        return await creates.create(ticket, post_many, create_one, app=creds.app_key)

    async def _create_one(
        self, creds: HaloCredentials, ticket: NewTicket, *, lookup_first: bool
    ) -> Ticket:
        if lookup_first and ticket.supplier_reference:
            existing = await self.find_ticket_by_supplier_reference(
                creds, ticket.supplier_reference
            )
            if existing is not None:
                return existing
        payload = ticket.payload(novalidate=self.config.novalidate)
        response = await self._api(creds, "POST", "/api/Tickets", body=[payload], idempotent=False)
        return Ticket.parse(last_object(response))

    async def _post_tickets(
        self, creds: HaloCredentials, tickets: Sequence[NewTicket]
    ) -> list[dict[str, Any]]:
        """POST several tickets at once; Halo's records of them (``returnall``)."""
        payloads = [t.payload(novalidate=self.config.novalidate) for t in tickets]
        response = await self._api(
            creds,
            "POST",
            "/api/Tickets",
            params={"returnall": "true"},
            body=payloads,
            idempotent=False,
        )
        body = response.json()
        if not isinstance(body, list):
            raise HaloError(
                "Halo answered a batch of creates without the list of records.",
                method="POST",
                path="/api/Tickets",
                status=response.status,
                ambiguous=True,
            )
        return [record for record in body if isinstance(record, dict)]

    async def close_ticket(
        self,
        creds: HaloCredentials,
        ticket_id: int,
        *,
        note: str | None = None,
        status_id: int | None = None,
    ) -> None:
        """Close a ticket: set the closed status, or post a closing action if so configured.

        ``status_id`` overrides the client-wide closed status (a company's configured one).
        """
        status = status_id or self.config.closed_status_id
        if self.config.close_via_action:
            action = action_body(
                ticket_id, self.config.close_outcome, note or "Closed by streamproc."
            )
            action[f.NEW_STATUS] = status
            await self._api(creds, "POST", "/api/Actions", body=[action], idempotent=False)
            return
        if note:
            await self.add_note(creds, ticket_id, note)
        body = [{f.ID: int(ticket_id), f.STATUS_ID: status}]
        await self._api(creds, "POST", "/api/Tickets", body=body, idempotent=True)

    async def reopen_ticket(self, creds: HaloCredentials, ticket_id: int, status_id: int) -> None:
        """Move a closed ticket back to ``status_id``; ``hasbeenclosed`` is cleared with it, or
        every closure check (ours, and other integrations') would still see it closed."""
        body = [{f.ID: int(ticket_id), f.STATUS_ID: int(status_id), f.HAS_BEEN_CLOSED: False}]
        await self._api(creds, "POST", "/api/Tickets", body=body, idempotent=True)

    async def list_actions(self, creds: HaloCredentials, ticket_id: int) -> list[Action]:
        """A ticket's actions (``GET /api/Actions?ticket_id=``), Halo's system actions excluded."""
        params = {"ticket_id": str(int(ticket_id)), "excludesys": "true", "count": "500"}
        return [Action.parse(r) for r in await self._rows(creds, "/api/Actions", f.ACTIONS, params)]

    async def add_note(self, creds: HaloCredentials, ticket_id: int, note: str) -> int | None:
        """Add a private note (no email to the user); return the new action's id if Halo gave it."""
        action = action_body(ticket_id, self.config.note_outcome, note)
        response = await self._api(creds, "POST", "/api/Actions", body=[action], idempotent=False)
        body = response.json()
        body = body[-1] if isinstance(body, list) and body else body
        return f.as_int(body.get(f.ID)) if isinstance(body, dict) else None
