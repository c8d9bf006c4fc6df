""":func:`evolve`: apply what the shell learned from Halo to an alert's ticket state.

======================  ==========================================================================
outcome                 new state → actions
======================  ==========================================================================
TicketCreated           open → mute command (or CloseTicket if the alert cleared meanwhile),
                        ``created`` result (``ticket_reopened`` when reopened),
                        ``ticket_created`` activity, one activity per routing warning
TicketCreateFailed      idle (stays pending if ``ambiguous``) → ``failed`` result,
                        ``integration_error`` activity
TicketClosedByUs        closed by us → ``closed`` result, ``ticket_closed`` activity; no unmute:
                        the alert has cleared
TicketAlreadyClosed     closed by halo → ``skipped/already_closed`` result, activity (unmute only
                        if the alert is somehow still active)
TicketCloseFailed       stays open → ``failed`` result, ``integration_error`` activity
NoteAdded / NoteFailed  count reset / kept → ``skipped/occurrence_noted`` result (no activity:
                        a flapping alert must not flood the feed) / ``failed`` + activity
TicketLeftOpen          stays open, close declined → ``skipped/ticket_touched`` or
                        ``skipped/close_policy_never`` result, ``ticket_left_open`` activity
TicketPreviewed /       dry run (dryrun.py): ``skipped/dry_run`` with ``would`` / ``failed``
PreviewFailed           result; no ticket in the state, ``dry_run_at`` set
HaloReportsClosed       closed by halo → unmute command while the alert is still active,
                        ``ticket_closed`` activity (no result: there is no input event)
======================  ==========================================================================

An outcome that does not match the state (wrong intent key or ticket id, wrong status) changes
nothing (``stale_outcome``); a stale ``TicketCreated`` raises a warning about a possible duplicate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from streamproc.core import outputs
from streamproc.core.actions import (
    Action,
    CloseTicket,
    HaloReportsClosed,
    NoteAdded,
    NoteFailed,
    Outcome,
    TicketAlreadyClosed,
    TicketClosedByUs,
    TicketCloseFailed,
    TicketCreated,
    TicketCreateFailed,
    TicketLeftOpen,
)
from streamproc.core.decision import Decision
from streamproc.core.dryrun import previewed
from streamproc.core.outputs import alert_activity, alert_result
from streamproc.core.policy_outcomes import left_open, noted
from streamproc.core.previews import PreviewFailed, TicketPreviewed
from streamproc.core.state import AlertTicketState

Verb = Literal["mute", "unmute"]


def evolve(state: AlertTicketState, outcome: Outcome, now: datetime) -> Decision:
    """Fold a Halo outcome into ``state``; returns the new state and the records to publish."""
    match outcome:
        case TicketPreviewed() | PreviewFailed():
            return previewed(state, outcome, now)
        case TicketCreated() | TicketCreateFailed() if (
            state.status != "pending" or outcome.intent_key != state.intent_key
        ):
            return _stale(state, outcome, now)
        case TicketCreated():
            return _created(state, outcome, now)
        case TicketCreateFailed():
            return _create_failed(state, outcome, now)
        case _ if state.status != "open" or outcome.halo_ticket_id != state.halo_ticket_id:
            return _stale(state, outcome, now)
        case TicketCloseFailed():
            return _close_failed(state, outcome, now)
        case TicketLeftOpen():
            return left_open(state, outcome, now)
        case NoteAdded() | NoteFailed() if state.note_event_id != outcome.event_id:
            return _stale(state, outcome, now)
        case NoteAdded() | NoteFailed():
            return noted(state, outcome, now)
        case TicketClosedByUs() | TicketAlreadyClosed() | HaloReportsClosed():
            return _closed(state, outcome, now)
    raise TypeError(f"unknown outcome {outcome!r}")  # pragma: no cover


def _command(state: AlertTicketState, verb: Verb, reason: str, now: datetime) -> Action:
    assert state.halo_ticket_id is not None
    return outputs.command(
        verb,
        company_id=state.company_id,
        alert_id=state.alert_id,
        halo_ticket_id=state.halo_ticket_id,
        reason=reason,
        now=now,
    )


def _stale(state: AlertTicketState, outcome: Outcome, now: datetime) -> Decision:
    if not isinstance(outcome, TicketCreated) or outcome.halo_ticket_id == state.halo_ticket_id:
        return Decision(state, (), ("stale_outcome",))  # a repeated reply: nothing new
    text = (
        f"Halo ticket #{outcome.halo_ticket_id} was created for alert {state.alert_id!r} after"
        " the alert's ticket state had moved on. Check Halo for a duplicate ticket and close it."
    )
    entry = alert_activity(
        state,
        "warning",
        "possible_duplicate_ticket",
        text,
        outcome.event_id,
        now,
        ticket=outcome.halo_ticket_id,
    )
    return Decision(state, (entry,), ("stale_outcome",))


def _created(state: AlertTicketState, outcome: TicketCreated, now: datetime) -> Decision:
    ticket, event_id = outcome.halo_ticket_id, outcome.event_id
    new = state.model_copy(
        update={
            "status": "open",
            "halo_ticket_id": ticket,
            "opened_at": now,
            "baseline": outcome.baseline,
            "reopen_ticket_id": None,
        }
    ).remember(event_id)
    if outcome.reopened:
        verb, reason = "Reopened", "ticket_reopened"
    elif outcome.recovered:
        verb, reason = "Found the existing", "ticket_recovered"
    else:
        verb, reason = "Created", "ticket_created"
    text = f"{verb} Halo ticket #{ticket} for alert {state.alert_id!r}."
    if outcome.reopened:
        text += " It was closed less than the reopen window ago."
    if outcome.matrix_entry is not None:
        text += f" Priority and type from priority matrix entry {outcome.matrix_entry + 1}."
    actions = [
        alert_result(new, event_id, "created", reason, text, now),
        alert_activity(
            new,
            "info",
            "ticket_created",
            text + " The alert stays muted in Watchman until the ticket is closed.",
            event_id,
            now,
        ),
    ]
    actions += [
        alert_activity(new, "warning", warning.kind, warning.message, event_id, now, index=index)
        for index, warning in enumerate(outcome.warnings)
    ]
    if new.alert_active:
        actions.insert(0, _command(new, "mute", "ticket_open", now))
    else:
        actions.append(
            CloseTicket(
                company_id=state.company_id,
                alert_id=state.alert_id,
                halo_ticket_id=ticket,
                event_id=event_id,
            )
        )
    return Decision(new, tuple(actions), (reason,))


def _create_failed(state: AlertTicketState, outcome: TicketCreateFailed, now: datetime) -> Decision:
    if outcome.ambiguous:
        new = state.remember(outcome.event_id)
        after = (
            " The request may have reached Halo; the next event for this alert checks Halo for"
            " the ticket before creating it again."
        )
    else:
        new = state.model_copy(
            update={"status": "idle", "intent_key": None, "reopen_ticket_id": None}
        )
        new = new.remember(outcome.event_id)
        after = " A new attempt is made on the next event for this alert."
    text = f"Could not create a Halo ticket for alert {state.alert_id!r}: {outcome.message}"
    actions = (
        alert_result(new, outcome.event_id, "failed", outcome.reason, text, now),
        alert_activity(new, "error", "integration_error", text + after, outcome.event_id, now),
    )
    return Decision(new, actions, (outcome.reason,))


def _close_failed(state: AlertTicketState, outcome: TicketCloseFailed, now: datetime) -> Decision:
    new = state.remember(outcome.event_id)
    text = (
        f"Could not close Halo ticket #{outcome.halo_ticket_id} for alert {state.alert_id!r}:"
        f" {outcome.message}"
    )
    after = " The ticket stays open; close it in Halo or fix the integration so it can be closed."
    actions = (
        alert_result(new, outcome.event_id, "failed", outcome.reason, text, now),
        alert_activity(new, "error", "integration_error", text + after, outcome.event_id, now),
    )
    return Decision(new, actions, (outcome.reason,))


def _closed(
    state: AlertTicketState,
    outcome: TicketClosedByUs | TicketAlreadyClosed | HaloReportsClosed,
    now: datetime,
) -> Decision:
    by_us = isinstance(outcome, TicketClosedByUs)
    how = outcome.how if isinstance(outcome, HaloReportsClosed) else None
    new = state.model_copy(
        update={
            "status": "closed",
            "closed_at": now,
            "closed_by": "us" if by_us else "halo",
            "closed_how": how,
            "close_declined": False,
        }
    )
    ticket, event_id = outcome.halo_ticket_id, outcome.event_id
    actions: list[Action] = []
    if isinstance(outcome, HaloReportsClosed):
        how = outcome.how
        text = f"Halo ticket #{ticket} for alert {state.alert_id!r} was {how} in Halo."
        if new.alert_active:
            actions.append(_command(new, "unmute", f"ticket_{how}_in_halo", now))
            text += " The alert was unmuted in Watchman."
        actions.append(alert_activity(new, "info", "ticket_closed", text, event_id, now))
        return Decision(new, tuple(actions), (f"ticket_{how}_in_halo",))
    new = new.remember(event_id)
    if by_us:
        word, reason = "closed", "ticket_closed"
        text = f"Closed Halo ticket #{ticket} because alert {state.alert_id!r} cleared."
    else:
        word, reason = "skipped", "already_closed"
        text = f"Halo ticket #{ticket} for alert {state.alert_id!r} was already closed in Halo."
    actions.append(alert_result(new, event_id, word, reason, text, now))
    actions.append(alert_activity(new, "info", "ticket_closed", text, event_id, now))
    if not by_us and new.alert_active:
        actions.insert(0, _command(new, "unmute", "ticket_closed_in_halo", now))
    return Decision(new, tuple(actions), (reason,))
