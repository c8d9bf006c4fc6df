"""Find the Halo ticket ids in a webhook delivery of any shape (pure).

Halo's payloads come as a single object or, with batching, an array of them; "key fields only",
"full object" and custom payloads all carry the ticket id somewhere. We look, in this order, at
``object_id``, ``ticket.id``, ``ticket_id`` and ``id`` (keys case-insensitive); an id is a positive
integer or a numeric string. A delivery is only a hint: the ticket is re-read from Halo.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

MAX_ID = 2**63 - 1
MAX_EVENTS = 1000


def as_ticket_id(value: Any) -> int | None:
    """A positive integer id from an int or a numeric string; None otherwise (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def _lower(obj: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in obj.items()}


def ticket_id_of(event: Any) -> int | None:
    """The ticket id of one webhook event object, or None."""
    if not isinstance(event, Mapping):
        return None
    data = _lower(event)
    ticket = data.get("ticket")
    candidates = [
        data.get("object_id"),
        _lower(ticket).get("id") if isinstance(ticket, Mapping) else None,
        data.get("ticket_id"),
        data.get("id"),
    ]
    for value in candidates:
        ticket_id = as_ticket_id(value)
        if ticket_id is not None:
            return ticket_id
    return None


def ticket_ids(payload: Any) -> list[int]:
    """Distinct ticket ids of a delivery (object or array of objects), in delivery order."""
    events = payload if isinstance(payload, list) else [payload]
    seen: dict[int, None] = {}
    for event in events[:MAX_EVENTS]:
        ticket_id = ticket_id_of(event)
        if ticket_id is not None:
            seen.setdefault(ticket_id, None)
    return list(seen)


def observation(company_id: str, ticket_id: int, observed_at: datetime) -> dict[str, Any]:
    """The ``halopsa.ticket-observations`` record for one webhook hint."""
    return {
        "company_id": company_id,
        "halo_ticket_id": ticket_id,
        "source": "webhook",
        "observed_at": observed_at.isoformat(),
    }
