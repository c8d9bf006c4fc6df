"""Inputs and results of the HaloPSA client, and the pure matching rules behind lookups."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from streamproc.halopsa import fields as f
from streamproc.halopsa.fields import Asset, Priority, TicketType, User


def _require_int(name: str, value: Any) -> int:
    number = f.as_int(value)
    if number is None:
        raise ValueError(f"{name} must be an integer id, got {value!r}")
    return number


@dataclass(frozen=True)
class NewTicket:
    """A ticket to create. `supplier_reference` is our idempotency key (one per alert).

    `payload()` casts ids to int (Halo rejects ``95.0``), omits unset fields and raises
    ValueError when `user_id` is set without `site_id` (Halo requires the user's site).
    """

    summary: str
    details_html: str | None = None
    client_id: int | None = None
    site_id: int | None = None
    user_id: int | None = None
    tickettype_id: int | None = None
    priority_id: int | None = None
    asset_ids: tuple[int, ...] = ()
    supplier_reference: str | None = None
    status_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self, *, novalidate: bool = False) -> dict[str, Any]:
        """The JSON object for one element of the POST /api/Tickets array."""
        if self.user_id is not None and self.site_id is None:
            raise ValueError("site_id is required whenever user_id is set (use the user's site)")
        body: dict[str, Any] = {f.SUMMARY: self.summary}
        for name, value in (
            (f.DETAILS_HTML, self.details_html),
            (f.SUPPLIER_REFERENCE, self.supplier_reference),
        ):
            if value is not None:
                body[name] = value
        for name, value in (
            (f.CLIENT_ID, self.client_id),
            (f.SITE_ID, self.site_id),
            (f.USER_ID, self.user_id),
            (f.TICKETTYPE_ID, self.tickettype_id),
            (f.PRIORITY_ID, self.priority_id),
            (f.STATUS_ID, self.status_id),
        ):
            if value is not None:
                body[name] = _require_int(name, value)
        if self.asset_ids:
            body[f.ASSETS] = [{f.ID: _require_int("asset id", a)} for a in self.asset_ids]
        if novalidate:
            body[f.NOVALIDATE] = True
        body.update(self.extra)
        return body


class TicketState(enum.Enum):
    """A ticket's state for closure detection."""

    OPEN = "open"
    CLOSED = "closed"
    MISSING = "missing"  # deleted or never existed: treat like closed


AssetMatchStatus = Literal["matched", "not_found", "field_missing"]


@dataclass(frozen=True)
class AssetMatch:
    """Result of looking an asset up by serial number.

    - ``matched``: `asset` is set. `duplicates` lists every matching id when several assets carry
      the serial (the lowest id was chosen) so the administrator can be told.
    - ``not_found``: no asset carries this serial.
    - ``field_missing``: assets were found but none has a field named `field_name`; the field was
      probably renamed or removed. `field_names_seen` lists what the assets do have.
    """

    status: AssetMatchStatus
    serial: str
    field_name: str
    asset: Asset | None = None
    duplicates: tuple[int, ...] = ()
    field_names_seen: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """True when several assets carry the serial."""
        return len(self.duplicates) > 1


def match_assets(assets: Iterable[Asset], serial: str, field_name: str) -> AssetMatch:
    """Pick the asset whose field named `field_name` equals `serial` (case-insensitive, trimmed).

    Only assets with `fields` loaded are considered; ties go to the lowest id.
    """
    wanted_name = field_name.strip().casefold()
    wanted = serial.strip().casefold()
    seen: set[str] = set()
    has_field = False
    matches: list[Asset] = []
    for asset in assets:
        for name, value in asset.fields or ():
            seen.add(name)
            if name.strip().casefold() == wanted_name:
                has_field = True
                if value.strip().casefold() == wanted:
                    matches.append(asset)
                    break
    if matches:
        matches.sort(key=lambda a: a.id)
        duplicates = tuple(a.id for a in matches) if len(matches) > 1 else ()
        return AssetMatch("matched", serial, field_name, matches[0], duplicates)
    if seen and not has_field:
        return AssetMatch("field_missing", serial, field_name, field_names_seen=tuple(sorted(seen)))
    return AssetMatch("not_found", serial, field_name)


def match_user(users: Iterable[User], email: str) -> User | None:
    """The user whose `emailaddress` equals `email` (case-insensitive); lowest id on ties."""
    wanted = email.strip().casefold()
    found = [u for u in users if u.email.strip().casefold() == wanted and wanted]
    return min(found, key=lambda u: u.id) if found else None


@dataclass(frozen=True)
class HaloOptions:
    """Pick-lists for the integration settings, read while testing credentials.

    `priorities` belong to `ticket_type`'s SLA (`sla_id`); when the type has no SLA they are all
    priorities Halo returned, one per `priority_id`.
    """

    ticket_types: tuple[TicketType, ...]
    priorities: tuple[Priority, ...]
    ticket_type: TicketType | None = None
    sla_id: int | None = None
