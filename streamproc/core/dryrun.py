"""Dry run (SPEC §8): decide everything as in live mode, write nothing to Halo, mute nothing.

Where live mode would write, a company in ``mode: dry_run`` gets a ``skipped`` result with
reason ``dry_run`` and a ``would`` object saying what live mode would have done:

* a raise that would open a ticket → a :class:`PreviewTicket` job: the instance owner does the
  reads of a create (asset by serial, user by reference email; a reopen reads the old ticket)
  and answers :class:`TicketPreviewed` (``would: create | reopen`` with the routing) or
  :class:`PreviewFailed` (live mode would have failed: a ``failed`` result, as live);
* a manual warning → a ``PreviewWarningTicket`` job (its routing read the same way;
  ``core/manual.py``);
* a clear of an alert whose *real* ticket is open → ``would: close`` (``note`` under the close
  policy ``never``); a repeat raise whose occurrence note is due → ``would: note``.

The alert's state never pretends a ticket exists: a "would create" only sets ``dry_run_at``.
Repeat raises of that alert are ``skipped/dry_run`` without ``would`` (no activity entry), and
its clear has nothing to close (``skipped/no_ticket``). Switching to live replays nothing: the
next raise of a still-raised alert is decided as any raise (a ticket), the others get none.

:func:`restrain` is the last gate before the shell: whatever a decision asks, a company in dry
run sends no Halo write and no mute/unmute command (e.g. the reply of a live create that was in
flight when the mode changed, or Halo closing a real ticket meanwhile).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.contracts.outputs import Would
from streamproc.core import outputs
from streamproc.core.actions import (
    Action,
    AddOccurrenceNote,
    CloseTicket,
    EmitCommand,
    EmitResult,
    OpenTicket,
    OpenWarningTicket,
    ReopenTicket,
    ResolvePendingTicket,
)
from streamproc.core.decision import Decision
from streamproc.core.outputs import alert_activity, alert_result
from streamproc.core.policies import reopens
from streamproc.core.previews import PreviewFailed, PreviewTicket, TicketPreviewed
from streamproc.core.state import AlertTicketState

REASON = "dry_run"
WRITES = (
    OpenTicket,
    ResolvePendingTicket,
    ReopenTicket,
    CloseTicket,
    AddOccurrenceNote,
    OpenWarningTicket,
    EmitCommand,
)


def dry(config: IntegrationConfig | None) -> bool:
    """True when the company runs in dry run."""
    return config is not None and config.mode == "dry_run"


def with_would(action: EmitResult, would: Would) -> EmitResult:
    """The result record of ``action`` carrying ``would``."""
    return action.model_copy(update={"result": action.result.model_copy(update={"would": would})})


def preview(
    state: AlertTicketState, event: AlertEvent, config: IntegrationConfig, now: datetime
) -> Decision:
    """Instead of opening (or reopening) a ticket: ask the instance owner for the reads only.

    The state is kept as it is (no intent, no pending ticket); the event is recorded as handled
    when the owner's answer comes (:func:`previewed`).
    """
    ids = {"company_id": event.company_id, "alert_id": event.alert.id, "event_id": event.event_id}
    if reopens(state, config, now):
        action = PreviewTicket(
            would="reopen",
            halo_ticket_id=state.halo_ticket_id,
            no_reopen_status_ids=config.no_reopen_status_ids,
            source=event,
            **ids,
        )
    else:
        action = PreviewTicket(source=event, **ids)
    return Decision(state, (action,), ("preview_ticket",))


def handled_before(state: AlertTicketState, event: AlertEvent, now: datetime) -> Decision:
    """A repeat raise of an alert already handled in dry run: nothing more would happen."""
    assert state.dry_run_at is not None
    new = state.remember(event.event_id, last_raised_at=_later(state.last_raised_at, event))
    text = (
        f"Dry run: alert {state.alert_id!r} ({event.alert.name}) was already handled in dry run"
        f" at {state.dry_run_at.isoformat()}; in live mode its ticket would be open, so this"
        " raise would change nothing."
    )
    return Decision(
        new, (alert_result(new, event.event_id, "skipped", REASON, text, now),), (REASON,)
    )


def clear_without_ticket(
    state: AlertTicketState, event: AlertEvent, now: datetime, cleared: dict[str, Any]
) -> Decision:
    """The clear of an alert handled in dry run: no real ticket exists, nothing to close."""
    new = state.remember(event.event_id, dry_run_at=None, **cleared)
    text = (
        f"Alert {state.alert_id!r} ({event.alert.name}) cleared. It was handled in dry run, so"
        " no Halo ticket exists for it: nothing to close."
    )
    return Decision(
        new, (alert_result(new, event.event_id, "skipped", "no_ticket", text, now),), ("no_ticket",)
    )


def would_close(
    state: AlertTicketState,
    event: AlertEvent,
    config: IntegrationConfig,
    now: datetime,
    cleared: dict[str, Any],
) -> Decision:
    """The clear of an alert whose real ticket is open: live mode would close it (or, under
    the close policy ``never``, add a note); the ticket stays as it is."""
    new = state.remember(event.event_id, **cleared)
    ticket = state.halo_ticket_id
    if config.close_policy == "never":
        would, verb = Would(action="note"), "add a note to"
    else:
        would, verb = Would(action="close"), "close"
    text = (
        f"Dry run: alert {state.alert_id!r} cleared; live mode would {verb} Halo ticket #{ticket}"
    )
    if config.close_policy == "untouched_only":
        text += " unless a technician worked on it"
    text += ". Nothing was written to Halo; the ticket stays as it is."
    return _said(new, event.event_id, would, text, now)


def would_note(
    state: AlertTicketState, event: AlertEvent, now: datetime, raised: dict[str, Any]
) -> Decision:
    """A repeat raise whose occurrence note is due: live mode would note the open ticket."""
    counted = raised.get("repeats", state.repeats)
    new = state.remember(event.event_id, **{**raised, "repeats": 0, "noted_at": now})
    text = (
        f"Dry run: alert {state.alert_id!r} was raised again ({max(counted, 1)} times since the"
        f" last note); live mode would add an occurrence note to Halo ticket"
        f" #{state.halo_ticket_id}. Nothing was written to Halo."
    )
    return _said(new, event.event_id, Would(action="note"), text, now)


def previewed(
    state: AlertTicketState, outcome: TicketPreviewed | PreviewFailed, now: datetime
) -> Decision:
    """Fold the owner's answer to a :class:`PreviewTicket` into the state (``evolve``)."""
    if state.seen(outcome.event_id):
        return Decision(state, (), ("stale_outcome",))  # a replayed job's second reply
    if isinstance(outcome, PreviewFailed):
        new = state.remember(outcome.event_id)
        text = (
            f"Dry run: live mode could not create a Halo ticket for alert {state.alert_id!r}:"
            f" {outcome.message}"
        )
        actions = (
            alert_result(new, outcome.event_id, "failed", outcome.reason, text, now),
            alert_activity(new, "error", "integration_error", text, outcome.event_id, now),
        )
        return Decision(new, actions, (outcome.reason,))
    new = state.remember(outcome.event_id, dry_run_at=now)
    would = outcome.would
    text = f"Dry run: {describe(would, outcome.halo_ticket_id, outcome.matrix_entry)}"
    text += " Nothing was written to Halo and the alert was not muted."
    decision = _said(new, outcome.event_id, would, text, now, ticket=outcome.halo_ticket_id)
    warnings = tuple(
        alert_activity(new, "warning", w.kind, w.message, outcome.event_id, now, index=index)
        for index, w in enumerate(outcome.warnings)
    )
    return Decision(new, decision.actions + warnings, decision.reasons)


def describe(would: Would, ticket: int | None = None, matrix_entry: int | None = None) -> str:
    """One sentence: what live mode would have done."""
    if would.action == "reopen":
        return (
            f"live mode would reopen Halo ticket #{ticket} (closed less than the reopen window"
            " ago)."
        )
    parts = [f"client {would.client_id}"]
    if would.site_id is not None:
        parts.append(f"site {would.site_id}")
    if would.asset_id is not None:
        parts.append(f"asset {would.asset_id}")
    if would.user_id is not None:
        parts.append(f"requester {would.user_id}")
    text = f"live mode would create a Halo ticket under {', '.join(parts)}"
    why = {
        "asset": "the computer's serial matched a Halo asset",
        "reference_email": "the reference email matched a Halo user",
        "default_client": "the default client, because no Halo asset matched the computer",
    }.get(would.routed_by or "")
    if why:
        text += f" ({why})"
    text += f", priority {_or_default(would.priority_id)}, ticket type"
    text += f" {_or_default(would.tickettype_id)}."
    if matrix_entry is not None:
        text += f" Priority and type from priority matrix entry {matrix_entry + 1}."
    return text


def restrain(decision: Decision, config: IntegrationConfig | None) -> Decision:
    """``decision`` without Halo writes and mute/unmute commands when the company is in dry
    run (a live decision that meets a dry-run config: the mode changed meanwhile)."""
    if not dry(config) or not any(isinstance(a, WRITES) for a in decision.actions):
        return decision
    kept: tuple[Action, ...] = tuple(a for a in decision.actions if not isinstance(a, WRITES))
    return Decision(decision.state, kept, (*decision.reasons, "dry_run_withheld"))


def _said(
    state: AlertTicketState,
    event_id: str,
    would: Would,
    text: str,
    now: datetime,
    *,
    ticket: int | Literal["current"] | None = "current",
) -> Decision:
    """A ``skipped/dry_run`` result with ``would``, and its activity entry (about ``ticket``:
    the alert's current one unless given; none for a create)."""
    halo_ticket_id = state.halo_ticket_id if ticket == "current" else ticket
    ids = {"company_id": state.company_id, "alert_id": state.alert_id, "now": now}
    record = outputs.result(
        event_id=event_id,
        outcome="skipped",
        reason=REASON,
        message=text,
        halo_ticket_id=halo_ticket_id,
        **ids,
    )
    entry = outputs.activity(
        "info", REASON, text, event_id=event_id, halo_ticket_id=halo_ticket_id, **ids
    )
    return Decision(state, (with_would(record, would), entry), (REASON,))


def _or_default(value: int | None) -> str:
    return "Halo's default" if value is None else str(value)


def _later(current: datetime | None, event: AlertEvent) -> datetime:
    return event.occurred_at if current is None or event.occurred_at > current else current
