"""Outcomes of the ticket policies (SPEC §7): a ticket left open, an occurrence note."""

from __future__ import annotations

from datetime import datetime

from streamproc.core.actions import NoteAdded, NoteFailed, TicketLeftOpen
from streamproc.core.decision import Decision
from streamproc.core.outputs import alert_activity, alert_result
from streamproc.core.state import AlertTicketState


def noted(state: AlertTicketState, outcome: NoteAdded | NoteFailed, now: datetime) -> Decision:
    ticket, count = outcome.halo_ticket_id, max(state.repeats, 1)
    if isinstance(outcome, NoteFailed):  # the count goes on; the next note is an interval away
        new = state.model_copy(update={"note_event_id": None}).remember(outcome.event_id)
        text = (
            f"Could not add an occurrence note to Halo ticket #{ticket} for alert"
            f" {state.alert_id!r}: {outcome.message}"
        )
        actions = (
            alert_result(new, outcome.event_id, "failed", outcome.reason, text, now),
            alert_activity(new, "error", "integration_error", text, outcome.event_id, now),
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
        (alert_result(new, outcome.event_id, "skipped", "occurrence_noted", text, now),),
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
        alert_result(new, outcome.event_id, "skipped", outcome.reason, text, now),
        alert_activity(new, "info", "ticket_left_open", text, outcome.event_id, now),
    )
    return Decision(new, actions, (outcome.reason,))
