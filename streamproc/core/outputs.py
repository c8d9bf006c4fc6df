"""Builders for the records the core publishes (results, commands, activity entries).

Pure: time comes in as ``now`` and ids are derived from the input event id, so a redelivered or
replayed decision produces byte-identical records that consumers can deduplicate.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from streamproc.contracts import ActivityEntry, AlertCommand, IntegrationConfig, TicketResult
from streamproc.core.actions import EmitActivity, EmitCommand, EmitResult

if TYPE_CHECKING:
    from streamproc.core.state import AlertTicketState

Level = Literal["info", "warning", "error"]
OutcomeWord = Literal["created", "closed", "skipped", "failed"]


Emit = EmitResult | EmitCommand | EmitActivity
_RECORD_FIELD = {"emit_result": "result", "emit_command": "command", "emit_activity": "entry"}


def linked(action: Emit, config: IntegrationConfig | None) -> Emit:
    """``action`` with ``halo_ticket_url`` set from its ticket id on the company's instance."""
    field = _RECORD_FIELD[action.kind]
    record = getattr(action, field)
    if config is None or record.halo_ticket_id is None or record.halo_ticket_url is not None:
        return action
    url = config.ticket_url(record.halo_ticket_id)
    return action.model_copy(update={field: record.model_copy(update={"halo_ticket_url": url})})


def activity_id(company_id: str, event_id: str, kind: str, index: int = 0) -> str:
    """Deterministic activity entry id from the company, triggering event id and kind."""
    material = f"{company_id}\x1f{event_id}\x1f{kind}\x1f{index}".encode()
    return "act-" + hashlib.sha256(material).hexdigest()[:28]


def result(
    *,
    event_id: str,
    company_id: str,
    outcome: OutcomeWord,
    reason: str,
    message: str,
    now: datetime,
    alert_id: str | None = None,
    warning_id: str | None = None,
    halo_ticket_id: int | None = None,
) -> EmitResult:
    """An :class:`EmitResult` for one handled input event (give exactly one subject id)."""
    return EmitResult(
        result=TicketResult(
            event_id=event_id,
            company_id=company_id,
            alert_id=alert_id,
            warning_id=warning_id,
            outcome=outcome,
            reason=reason,
            message=message,
            halo_ticket_id=halo_ticket_id,
            at=now,
        )
    )


def command(
    verb: Literal["mute", "unmute"],
    *,
    company_id: str,
    alert_id: str,
    halo_ticket_id: int,
    reason: str,
    now: datetime,
) -> EmitCommand:
    """An :class:`EmitCommand` muting or unmuting an alert because of ``halo_ticket_id``."""
    return EmitCommand(
        command=AlertCommand(
            command=verb,
            company_id=company_id,
            alert_id=alert_id,
            halo_ticket_id=halo_ticket_id,
            reason=reason,
            at=now,
        )
    )


def activity(
    level: Level,
    kind: str,
    message: str,
    *,
    company_id: str,
    event_id: str,
    now: datetime,
    alert_id: str | None = None,
    halo_ticket_id: int | None = None,
    index: int = 0,
) -> EmitActivity:
    """An :class:`EmitActivity` whose id is derived from (company, event, kind, index)."""
    return EmitActivity(
        entry=ActivityEntry(
            id=activity_id(company_id, event_id, kind, index),
            company_id=company_id,
            at=now,
            level=level,
            kind=kind,
            message=message,
            alert_id=alert_id,
            halo_ticket_id=halo_ticket_id,
        )
    )


def alert_result(
    state: AlertTicketState, event_id: str, word: OutcomeWord, reason: str, text: str, now: datetime
) -> EmitResult:
    """The result of an alert's event, about its current ticket."""
    return result(
        event_id=event_id,
        company_id=state.company_id,
        alert_id=state.alert_id,
        outcome=word,
        reason=reason,
        message=text,
        halo_ticket_id=state.halo_ticket_id,
        now=now,
    )


def alert_activity(
    state: AlertTicketState,
    level: Level,
    kind: str,
    text: str,
    event_id: str,
    now: datetime,
    *,
    ticket: int | None = None,
    index: int = 0,
) -> EmitActivity:
    """An activity entry about an alert (and its current ticket unless ``ticket`` is given)."""
    return activity(
        level,
        kind,
        text,
        company_id=state.company_id,
        event_id=event_id,
        now=now,
        alert_id=state.alert_id,
        halo_ticket_id=ticket if ticket is not None else state.halo_ticket_id,
        index=index,
    )
