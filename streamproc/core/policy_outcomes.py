"""Outcomes of the ticket policies (SPEC §7): a ticket left open, an occurrence note."""

from __future__ import annotations

from datetime import datetime

from streamproc.core import outputs
from streamproc.core.actions import Action, NoteAdded, NoteFailed, TicketLeftOpen
from streamproc.core.decision import Decision
from streamproc.core.outputs import Level, OutcomeWord
from streamproc.core.state import AlertTicketState


def _result(
    state: AlertTicketState, event_id: str, word: OutcomeWord, reason: str, text: str, now: datetime
) -> Action:
    return outputs.result(
        event_id=event_id,
        company_id=state.company_id,
        alert_id=state.alert_id,
        outcome=word,
        reason=reason,
        message=text,
        halo_ticket_id=state.halo_ticket_id,
        now=now,
    )


def _activity(
    state: AlertTicketState, level: Level, kind: str, text: str, event_id: str, now: datetime
) -> Action:
    return outputs.activity(
        level,
        kind,
        text,
        company_id=state.company_id,
        event_id=event_id,
        now=now,
        alert_id=state.alert_id,
        halo_ticket_id=state.halo_ticket_id,
    )


def noted(state: AlertTicketState, outcome: NoteAdded | NoteFailed, now: datetime) -> Decision:
    ticket, count = outcome.halo_ticket_id, max(state.repeats, 1)
    if isinstance(outcome, NoteFailed):  # the count goes on; the next note is an interval away
        new = state.model_copy(update={"note_event_id": None}).remember(outcome.event_id)
        text = (
            f"Could not add an occurrence note to Halo ticket #{ticket} for alert"
            f" {state.alert_id!r}: {outcome.message}"
        )
        actions = (
            _result(new, outcome.event_id, "failed", outcome.reason, text, now),
            _activity(new, "error", "integration_error", text, outcome.event_id, now),
        )
        return Decision(new, actions, (outcome.reason,))
    new = state.model_copy(update={"note_event_id": None, "repeats": 0})
    new = new.remember(outcome.event_id)
    times = "once" if count == 1 else f"{count} times"
    text = (
        f"Alert {state.alert_id!r} was raised again ({times} since the last note); a private note"
        f" on Halo ticket #{ticket} says so."
    )
    return Decision(
        new,
        (_result(new, outcome.event_id, "skipped", "occurrence_noted", text, now),),
        ("occurrence_noted",),
    )


def left_open(state: AlertTicketState, outcome: TicketLeftOpen, now: datetime) -> Decision:
    new = state.model_copy(update={"close_declined": True}).remember(outcome.event_id)
    ticket = outcome.halo_ticket_id
    if outcome.reason == "ticket_touched":
        why = f"a technician worked on it ({', '.join(outcome.touched) or 'touched'})"
    else:
        why = "the company's close policy is 'never'"
    text = (
        f"Alert {state.alert_id!r} cleared; Halo ticket #{ticket} was left open because {why}."
        " A private note on the ticket says the alert cleared."
    )
    actions = (
        _result(new, outcome.event_id, "skipped", outcome.reason, text, now),
        _activity(new, "info", "ticket_left_open", text, outcome.event_id, now),
    )
    return Decision(new, actions, (outcome.reason,))
