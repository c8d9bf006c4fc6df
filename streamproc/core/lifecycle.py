"""Per-alert ticket lifecycle as a Decider: :func:`decide` on events, :func:`evolve` on outcomes.

Rules of :func:`decide` (first match wins; "skip" = a ``skipped`` result with that reason):

* event id already handled → no actions (``duplicate_event``);
* raised/updated:
  - ``occurred_at`` ≤ latest clear → skip ``stale_event``;
  - ticket open → skip ``already_open`` (also when the alert is muted: the mute is ours), or
    :class:`AddOccurrenceNote` when the company's ``repeat_note_interval_seconds`` has passed
    since the last note (the count of repeat raises since then);
  - no config → skip ``integration_not_configured``; disabled → skip ``integration_disabled``;
  - ticket pending (create not confirmed) → :class:`ResolvePendingTicket` (same intent key);
  - ``updated`` after a technician closed the ticket while the alert stayed active → skip
    ``ticket_closed_in_halo`` (a ``raised`` event does open a new ticket);
  - hidden → skip ``not_visible``; muted → skip ``muted``;
  - ticket closed within the company's ``reopen_window_seconds`` → pending under a new intent
    key + :class:`ReopenTicket` (a pending reopen re-issues it);
  - else → pending under a new intent key + :class:`OpenTicket`;
* cleared/resolved:
  - ``occurred_at`` < latest raise → skip ``stale_event``; otherwise the clear is recorded;
  - ticket open → config missing/disabled → skip as above; else :class:`CloseTicket` under
    the company's ``close_policy``;
  - pending → skip ``ticket_pending`` (closed once confirmed); closed → skip ``already_closed``;
    idle → skip ``no_ticket``.

An event that triggers a Halo action is recorded as handled only when its outcome comes back, so a
redelivery after a crash re-issues the (idempotent) action instead of being dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.core import outputs
from streamproc.core.actions import (
    AddOccurrenceNote,
    CloseTicket,
    OpenTicket,
    ReopenTicket,
    ResolvePendingTicket,
)
from streamproc.core.decision import QUIET_SKIPS, Decision, skip_message
from streamproc.core.outcomes import evolve
from streamproc.core.policies import note_due, reopens
from streamproc.core.state import AlertTicketState

__all__ = ["Decision", "config_problem", "decide", "evolve"]


def config_problem(config: IntegrationConfig | None) -> str | None:
    """``integration_not_configured`` / ``integration_disabled`` / ``None`` when usable."""
    if config is None:
        return "integration_not_configured"
    return None if config.enabled else "integration_disabled"


def _latest(current: datetime | None, seen: datetime) -> datetime:
    return seen if current is None or seen > current else current


def skip(
    state: AlertTicketState, event: AlertEvent, reason: str, now: datetime, **changes: Any
) -> Decision:
    """Record ``event`` as handled (``changes`` applied) and report it skipped for ``reason``."""
    message = skip_message(reason, state.halo_ticket_id)
    ids = {"company_id": event.company_id, "alert_id": event.alert.id, "now": now}
    actions = [
        outputs.result(
            event_id=event.event_id,
            outcome="skipped",
            reason=reason,
            message=message,
            halo_ticket_id=state.halo_ticket_id,
            **ids,
        )
    ]
    if reason not in QUIET_SKIPS:
        actions.append(
            outputs.activity(
                "info",
                "skipped",
                f"Alert {event.alert.id!r} ({event.alert.name}): {message}",
                event_id=event.event_id,
                halo_ticket_id=state.halo_ticket_id,
                **ids,
            )
        )
    return Decision(state.remember(event.event_id, **changes), tuple(actions), (reason,))


def decide(
    state: AlertTicketState | None,
    event: AlertEvent,
    config: IntegrationConfig | None,
    now: datetime,
) -> Decision:
    """Decide what an alert event means for the alert's ticket (see the module rules).

    ``state`` is the alert's stored state (``None`` for a first event), ``config`` the company's
    integration config (``None`` when not configured), ``now`` the shell's clock. Always returns a
    state to store. Raises ``ValueError`` only if ``state`` belongs to another alert.
    """
    current = state or AlertTicketState(company_id=event.company_id, alert_id=event.alert.id)
    if (current.company_id, current.alert_id) != (event.company_id, event.alert.id):
        raise ValueError("state belongs to a different company/alert than the event")
    if current.seen(event.event_id):
        return Decision(current, (), ("duplicate_event",))
    if event.event_type in ("raised", "updated"):
        return _on_raise(current, event, config, now)
    return _on_clear(current, event, config, now)


def _on_raise(
    current: AlertTicketState, event: AlertEvent, config: IntegrationConfig | None, now: datetime
) -> Decision:
    if current.last_cleared_at is not None and event.occurred_at <= current.last_cleared_at:
        return skip(current, event, "stale_event", now)
    technician_closed = current.status == "closed" and current.closed_by == "halo"
    still_active = current.alert_active
    raised = {"last_raised_at": _latest(current.last_raised_at, event.occurred_at)}
    if current.status == "open":
        return _repeat(current, event, config, now, raised)
    problem = config_problem(config)
    if problem:
        return skip(current, event, problem, now, **raised)
    assert config is not None
    state = current.model_copy(update=raised)
    ids = {"company_id": event.company_id, "alert_id": event.alert.id, "event_id": event.event_id}
    if state.status == "pending" and state.intent_key is not None:
        if state.reopen_ticket_id is not None:
            return _reopen(state, event, config, ids)
        action = ResolvePendingTicket(intent_key=state.intent_key, source=event, **ids)
        return Decision(state, (action,), ("resolve_pending",))
    if event.event_type == "updated" and technician_closed and still_active:
        return skip(state, event, "ticket_closed_in_halo", now)
    if not event.alert.visible:
        return skip(state, event, "not_visible", now)
    if event.alert.muted:
        return skip(state, event, "muted", now)
    if reopens(state, config, now):
        reopened = state.halo_ticket_id
        state = state.next_intent().model_copy(update={"reopen_ticket_id": reopened})
        return _reopen(state, event, config, ids)
    state = state.next_intent()
    assert state.intent_key is not None
    return Decision(
        state, (OpenTicket(intent_key=state.intent_key, source=event, **ids),), ("open_ticket",)
    )


def _repeat(
    current: AlertTicketState,
    event: AlertEvent,
    config: IntegrationConfig | None,
    now: datetime,
    raised: dict[str, Any],
) -> Decision:
    """A raise of an alert whose ticket is open: a skip, or an occurrence note when due."""
    if current.note_event_id == event.event_id:  # redelivered before its note was confirmed
        return Decision(current, (_note(current, event),), ("occurrence_note",))
    counting = config is not None and config.repeat_note_interval_seconds > 0
    if counting:
        raised = {**raised, "repeats": current.repeats + 1}
    if not note_due(current, config, now):
        return skip(current, event, "already_open", now, **raised)
    state = current.model_copy(update={**raised, "noted_at": now, "note_event_id": event.event_id})
    return Decision(state, (_note(state, event),), ("occurrence_note",))


def _note(state: AlertTicketState, event: AlertEvent) -> AddOccurrenceNote:
    assert state.halo_ticket_id is not None
    return AddOccurrenceNote(
        company_id=state.company_id,
        alert_id=state.alert_id,
        halo_ticket_id=state.halo_ticket_id,
        event_id=event.event_id,
        occurrences=max(state.repeats, 1),
        raised_at=event.occurred_at,
    )


def _reopen(
    state: AlertTicketState, event: AlertEvent, config: IntegrationConfig, ids: dict[str, str]
) -> Decision:
    assert state.intent_key is not None
    assert state.reopen_ticket_id is not None
    action = ReopenTicket(
        intent_key=state.intent_key,
        halo_ticket_id=state.reopen_ticket_id,
        no_reopen_status_ids=config.no_reopen_status_ids,
        source=event,
        **ids,
    )
    return Decision(state, (action,), ("reopen_ticket",))


def _on_clear(
    current: AlertTicketState, event: AlertEvent, config: IntegrationConfig | None, now: datetime
) -> Decision:
    if current.last_raised_at is not None and event.occurred_at < current.last_raised_at:
        return skip(current, event, "stale_event", now)
    cleared = {"last_cleared_at": _latest(current.last_cleared_at, event.occurred_at)}
    if current.status == "open" and current.halo_ticket_id is not None:
        problem = config_problem(config)
        if problem:
            return skip(current, event, problem, now, **cleared)
        assert config is not None
        action = CloseTicket(
            company_id=event.company_id,
            alert_id=event.alert.id,
            halo_ticket_id=current.halo_ticket_id,
            event_id=event.event_id,
            policy=config.close_policy,
            cleared_at=event.occurred_at,
            baseline=current.baseline,
        )
        return Decision(current.model_copy(update=cleared), (action,), ("close_ticket",))
    reason = {"pending": "ticket_pending", "closed": "already_closed"}.get(
        current.status, "no_ticket"
    )
    return skip(current, event, reason, now, **cleared)
