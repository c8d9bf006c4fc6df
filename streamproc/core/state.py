"""Per-alert ticket state kept by the shell in a changelogged table, keyed by company + alert.

The state round-trips through JSON (``model_dump_json`` / ``model_validate_json``) and carries
everything :mod:`streamproc.core.lifecycle` needs to decide, so that a worker restarted after a
crash reproduces the same decisions and the same idempotency keys.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streamproc.contracts import AlertEvent
from streamproc.contracts._base import HaloId, Id, Timestamp

Status = Literal["idle", "pending", "open", "closed"]
ClosedBy = Literal["us", "halo"]
RECENT_EVENTS = 64
INTENT_PREFIX = "wm-"


def intent_key(company_id: str, alert_id: str, attempt: int) -> str:
    """The idempotency key written on a Halo ticket as ``supplier_reference``.

    Deterministic in (company, alert, attempt) and fixed-length (35 characters), so it fits
    Halo's field and no key is a prefix or substring of another. Halo's supplier-reference search
    may match substrings: the shell must still compare the found value for equality.
    """
    material = f"alert\x1f{company_id}\x1f{alert_id}\x1f{attempt}".encode()
    return INTENT_PREFIX + hashlib.sha256(material).hexdigest()[:32]


def state_key(company_id: str, alert_id: str) -> str:
    """The table key of an alert's state (company and alert id, unambiguous)."""
    return f"{len(company_id)}:{company_id}/{alert_id}"


class Baseline(BaseModel):
    """The ticket as we left it (after our create or reopen): later differences are touches."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    status_id: int | None = None
    agent_id: int | None = None
    last_action_id: int = 0


class AlertTicketState(BaseModel):
    """Where one alert's Halo ticket stands.

    ``status``: ``idle`` (no ticket), ``pending`` (create decided under ``intent_key`` but not yet
    confirmed), ``open`` (ticket ``halo_ticket_id`` open), ``closed`` (closed by ``closed_by``).
    ``intent_attempts`` counts tickets ever intended for this alert; it numbers the intent keys.
    ``recent_event_ids`` holds the last 64 completely handled event ids (redelivery detection).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_id: Id = Field(description="Watchman company id.")
    alert_id: Id = Field(description="Watchman alert id.")
    status: Status = Field(default="idle", description="idle | pending | open | closed.")
    halo_ticket_id: HaloId | None = Field(default=None, description="Current/last Halo ticket.")
    intent_key: str | None = Field(default=None, description="supplier_reference of the ticket.")
    intent_attempts: int = Field(default=0, ge=0, description="Tickets intended so far.")
    opened_at: Timestamp | None = Field(default=None, description="When the ticket was confirmed.")
    closed_at: Timestamp | None = Field(default=None, description="When it was seen closed.")
    closed_by: ClosedBy | None = Field(default=None, description="us (alert cleared) or halo.")
    closed_how: Literal["closed", "deleted", "merged"] | None = Field(
        default=None, description="How Halo ended the ticket (None: closed by us)."
    )
    baseline: Baseline | None = Field(
        default=None, description="The open ticket as we left it (close policy: touched?)."
    )
    close_declined: bool = Field(
        default=False, description="The alert cleared but the close policy left it open."
    )
    reopen_ticket_id: HaloId | None = Field(
        default=None, description="The pending intent reopens this ticket (reopen window)."
    )
    repeats: int = Field(default=0, ge=0, description="Repeat raises since the last note.")
    noted_at: Timestamp | None = Field(default=None, description="Last occurrence note.")
    note_event_id: Id | None = Field(
        default=None, description="The raise whose occurrence note is not confirmed yet."
    )
    held_raise: AlertEvent | None = Field(
        default=None, description="A raise waiting out the flap hold-down (no ticket yet)."
    )
    held_clear: AlertEvent | None = Field(
        default=None, description="A clear waiting out the flap hold-down (ticket still open)."
    )
    held_window: Id | None = Field(
        default=None, description="The maintenance window holding ``held_raise`` (maintenance.py)."
    )
    timer_at: Timestamp | None = Field(
        default=None,
        description="When the held raise or clear is decided (holddown.py, maintenance.py).",
    )
    dry_run_at: Timestamp | None = Field(
        default=None,
        description="Dry run: when a raise of this alert was handled as 'would create' (no ticket"
        " exists for it); cleared by the alert's clear and by a real ticket (dryrun.py).",
    )
    unticketed_raise: AlertEvent | None = Field(
        default=None,
        description="The alert's latest raise while no ticket was made for it (no integration,"
        " or disabled): what a backfill opens its ticket from (backfill.py); dropped on a clear.",
    )
    last_raised_at: Timestamp | None = Field(default=None, description="Latest raise/update seen.")
    last_cleared_at: Timestamp | None = Field(default=None, description="Latest clear seen.")
    recent_event_ids: tuple[str, ...] = Field(default=(), description="Last 64 handled events.")

    @property
    def alert_active(self) -> bool:
        """True unless the latest lifecycle event we saw for the alert was a clear/resolve."""
        if self.last_cleared_at is None:
            return True
        return self.last_raised_at is not None and self.last_raised_at > self.last_cleared_at

    def seen(self, event_id: str) -> bool:
        """True when ``event_id`` was already handled completely (a redelivery)."""
        return event_id in self.recent_event_ids

    def remember(self, event_id: str, **changes: Any) -> AlertTicketState:
        """This state with ``changes`` and ``event_id`` recorded as handled (keeps the last 64).

        One copy for both: this runs for nearly every event.
        """
        if event_id in self.recent_event_ids:
            return self.model_copy(update=changes) if changes else self
        ids = (*self.recent_event_ids, event_id)[-RECENT_EVENTS:]
        return self.model_copy(update={**changes, "recent_event_ids": ids})

    def next_intent(self) -> AlertTicketState:
        """This state moved to ``pending`` under a fresh intent key (next attempt number)."""
        attempt = self.intent_attempts + 1
        return self.model_copy(
            update={
                "status": "pending",
                "intent_attempts": attempt,
                "intent_key": intent_key(self.company_id, self.alert_id, attempt),
                "halo_ticket_id": None,
                "opened_at": None,
                "closed_at": None,
                "closed_by": None,
                "closed_how": None,
                "baseline": None,
                "close_declined": False,
                "reopen_ticket_id": None,
                "repeats": 0,
                "noted_at": None,
                "note_event_id": None,
                "dry_run_at": None,
            }
        )


def needs_close(state: AlertTicketState) -> bool:
    """True when we hold an open ticket for an alert that has cleared (a close failed earlier).

    The shell's sweep can issue :class:`~streamproc.core.actions.CloseTicket` for such states.
    """
    return state.status == "open" and not state.alert_active and not state.close_declined
