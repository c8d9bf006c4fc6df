"""Halo JSON field names and small typed views of Halo records.

This is the only module that knows Halo's spelling of things; the rest of the project imports the
constants and dataclasses from here. Parsers are lenient: unknown fields are ignored, missing ones
become None, and the raw dict is kept on each record for anything not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Ticket fields (POST /api/Tickets body and ticket objects)
ID = "id"
SUMMARY = "summary"
DETAILS_HTML = "details_html"
CLIENT_ID = "client_id"
SITE_ID = "site_id"
USER_ID = "user_id"
TICKETTYPE_ID = "tickettype_id"
PRIORITY_ID = "priority_id"
STATUS_ID = "status_id"
SLA_ID = "sla_id"
ASSETS = "assets"
SUPPLIER_REFERENCE = "supplier_reference"
NOVALIDATE = "_novalidate"
HAS_BEEN_CLOSED = "hasbeenclosed"
DELETED = "deleted"
MERGED_INTO_ID = "merged_into_id"
AGENT_ID = "agent_id"
# Action fields (POST /api/Actions)
TICKET_ID = "ticket_id"
OUTCOME = "outcome"
NOTE = "note"
NOTE_HTML = "note_html"
HIDDEN_FROM_USER = "hiddenfromuser"
SEND_EMAIL = "sendemail"
NEW_STATUS = "new_status"
WHO = "who"
TIME_TAKEN = "timetaken"
ACTIONS = "actions"
# Lists: envelopes and query parameters
TICKETS = "tickets"
ASSETS_LIST = "assets"
USERS = "users"
RECORD_COUNT = "record_count"
FIELDS = "fields"
EMAIL = "emailaddress"
# Ticket type keys naming its SLA; they vary across Halo versions, so try them in this order.
TICKET_TYPE_SLA_KEYS = ("default_sla", "default_sla_id", "sla_id", "slaid", "sla")


def as_int(value: Any) -> int | None:
    """An integer id from Halo JSON or our own input; None for missing, -1-free cases stay as-is.

    Halo rejects ``95.0``, so floats must be whole numbers and are cast; bools and junk → None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class TicketType:
    """A Halo ticket type (`GET /api/TicketType`); `sla_id` is None when the type has no SLA."""

    id: int
    name: str
    sla_id: int | None
    default_priority: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> TicketType:
        """Parse one ticket type; the SLA comes from the first present of `TICKET_TYPE_SLA_KEYS`."""
        sla = None
        for key in TICKET_TYPE_SLA_KEYS:
            value = data.get(key)
            if isinstance(value, Mapping):
                value = value.get("id")
            sla = as_int(value)
            if sla is not None and sla > 0:
                break
        return cls(
            id=as_int(data.get(ID)) or 0,
            name=_str(data.get("name")),
            sla_id=sla if sla is not None and sla > 0 else None,
            default_priority=as_int(data.get("default_priority")),
            raw=data,
        )


@dataclass(frozen=True)
class Priority:
    """A priority within one SLA; `priority_id` is the value a ticket's `priority_id` takes."""

    priority_id: int
    name: str
    sla_id: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Priority:
        """Parse one `GET /api/Priority` row (its `id` is a GUID and is not used by tickets)."""
        return cls(
            priority_id=as_int(data.get("priorityid")) or 0,
            name=_str(data.get("name")),
            sla_id=as_int(data.get("slaid")),
            raw=data,
        )


@dataclass(frozen=True)
class Status:
    """A ticket status (`GET /api/Status`)."""

    id: int
    name: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Status:
        """Parse one status row."""
        return cls(id=as_int(data.get(ID)) or 0, name=_str(data.get("name")), raw=data)


@dataclass(frozen=True)
class User:
    """A Halo end user (contact); `site_id` is needed on a ticket whenever the user is set."""

    id: int
    name: str
    email: str
    client_id: int | None
    site_id: int | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> User:
        """Parse a `GET /api/Users` row or an asset's `users[]` entry."""
        return cls(
            id=as_int(data.get(ID)) or 0,
            name=_str(data.get("name")),
            email=_str(data.get(EMAIL)),
            client_id=as_int(data.get(CLIENT_ID)),
            site_id=as_int(data.get(SITE_ID)),
            raw=data,
        )


@dataclass(frozen=True)
class Asset:
    """A Halo asset. `fields` is None when the row came without them (list rows often do)."""

    id: int
    inventory_number: str
    client_id: int | None
    site_id: int | None
    fields: tuple[tuple[str, str], ...] | None
    users: tuple[User, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Asset:
        """Parse a list row or a full `GET /api/Asset/{id}` object."""
        raw_fields = data.get(FIELDS)
        fields = None
        if isinstance(raw_fields, list):
            fields = tuple(
                (_str(f.get("name")), _str(f.get("value") or f.get("display")))
                for f in raw_fields
                if isinstance(f, Mapping)
            )
        users = data.get(USERS)
        return cls(
            id=as_int(data.get(ID)) or 0,
            inventory_number=_str(data.get("inventory_number")),
            client_id=as_int(data.get(CLIENT_ID)),
            site_id=as_int(data.get(SITE_ID)),
            fields=fields,
            users=tuple(User.parse(u) for u in users if isinstance(u, Mapping))
            if isinstance(users, list)
            else (),
            raw=data,
        )

    @property
    def has_users_list(self) -> bool:
        """Whether the record included `users` (full objects do; list rows may not)."""
        return isinstance(self.raw.get(USERS), list)

    @property
    def user(self) -> User | None:
        """The asset's first user (the ticket requester), if any."""
        return self.users[0] if self.users else None


@dataclass(frozen=True)
class Ticket:
    """A Halo ticket (the fields we read; everything else is in `raw`)."""

    id: int
    summary: str
    status_id: int | None
    has_been_closed: bool
    deleted: bool
    merged_into_id: int | None
    client_id: int | None
    site_id: int | None
    user_id: int | None
    tickettype_id: int | None
    priority_id: int | None
    supplier_reference: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    agent_id: int | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Ticket:
        """Parse a ticket object from POST /api/Tickets, GET /api/Tickets/{id} or a list row."""
        return cls(
            id=as_int(data.get(ID)) or 0,
            summary=_str(data.get(SUMMARY)),
            status_id=as_int(data.get(STATUS_ID)),
            has_been_closed=bool(data.get(HAS_BEEN_CLOSED)),
            deleted=bool(data.get(DELETED)),
            merged_into_id=as_int(data.get(MERGED_INTO_ID)),
            client_id=as_int(data.get(CLIENT_ID)),
            site_id=as_int(data.get(SITE_ID)),
            user_id=as_int(data.get(USER_ID)),
            tickettype_id=as_int(data.get(TICKETTYPE_ID)),
            priority_id=as_int(data.get(PRIORITY_ID)),
            supplier_reference=_str(data.get(SUPPLIER_REFERENCE)),
            raw=data,
            agent_id=as_int(data.get(AGENT_ID)),
        )

    def is_closed(self, closed_status_ids: frozenset[int] = frozenset({9})) -> bool:
        """Closed for our purposes: closed status, ever closed, deleted or merged away.

        (A ticket we reopen gets ``hasbeenclosed`` cleared: see ``HaloClient.reopen_ticket``.)
        """
        return (
            self.has_been_closed
            or self.deleted
            or (self.merged_into_id or 0) > 0
            or (self.status_id is not None and self.status_id in closed_status_ids)
        )


@dataclass(frozen=True)
class Action:
    """One action (note, time entry, status change…) in a ticket's history."""

    id: int
    who: str
    note: str
    time_taken: float
    new_status: int | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Action:
        try:
            taken = float(data.get(TIME_TAKEN) or 0)
        except (TypeError, ValueError):
            taken = 0.0
        return cls(
            id=as_int(data.get(ID)) or 0,
            who=_str(data.get(WHO)),
            note=_str(data.get(NOTE)) or _str(data.get(NOTE_HTML)),
            time_taken=taken,
            new_status=as_int(data.get(NEW_STATUS)),
        )
