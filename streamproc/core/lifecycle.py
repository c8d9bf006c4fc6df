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
* inside a maintenance window that covers the alert, the raise that would open a ticket is
  skipped ``maintenance_window`` and held (:mod:`streamproc.core.maintenance`) until the window
  ends (:func:`fire`); a clear meanwhile drops it;
* with a flap hold-down (``hold_down_seconds``), the raise that would open a ticket and the
  clear that would close one are held (:mod:`streamproc.core.holddown`) until :func:`fire`;
* dry run (``mode: dry_run``, :mod:`streamproc.core.dryrun`): where a ticket would be opened
  or reopened → :class:`~streamproc.core.actions.PreviewTicket` (reads only); closed or noted →
  ``skipped/dry_run`` with ``would``; a raise of an alert already handled in dry run →
  ``skipped/dry_run`` (no ``would``);
* cleared/resolved:
  - ``occurred_at`` < latest raise → skip ``stale_event``; otherwise the clear is recorded;
  - ticket open → config missing/disabled → skip as above; else :class:`CloseTicket` under
    the company's ``close_policy``;
  - pending → skip ``ticket_pending`` (closed once confirmed); handled in dry run (no real
    ticket) → skip ``no_ticket`` (in any mode); closed → skip ``already_closed``;
    idle → skip ``no_ticket``.

An event that triggers a Halo action is recorded as handled only when its outcome comes back, so a
redelivery after a crash re-issues the (idempotent) action instead of being dropped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.core import dryrun
from streamproc.core.actions import (
    AddOccurrenceNote,
    CloseTicket,
    OpenTicket,
    ReopenTicket,
    ResolvePendingTicket,
)
from streamproc.core.decision import Decision, skip
from streamproc.core.dryrun import dry
from streamproc.core.holddown import flap, hold_clear, hold_raise, holding, keep_open
from streamproc.core.maintenance import cleared_in_window, hold_in_window, raised_again, still_held
from streamproc.core.outcomes import evolve
from streamproc.core.policies import note_due, reopens
from streamproc.core.state import AlertTicketState
from streamproc.core.windows import holding_window

__all__ = ["Decision", "config_problem", "decide", "evolve", "fire"]


def config_problem(config: IntegrationConfig | None) -> str | None:
    """``integration_not_configured`` / ``integration_disabled`` / ``None`` when usable."""
    if config is None:
        return "integration_not_configured"
    return None if config.enabled else "integration_disabled"


def _latest(current: datetime | None, seen: datetime) -> datetime:
    return seen if current is None or seen > current else current


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
    if current.held_raise is not None:  # an earlier raise waits out a window or the hold-down
        if current.held_window is not None:
            return raised_again(current, event, now, raised)
        return skip(current, event, "held_down", now, **raised)
    if current.held_clear is not None:
        return keep_open(current, event, now, raised)
    if current.status == "open":
        return _repeat(current, event, config, now, raised)
    problem = config_problem(config)
    if problem:
        return skip(current, event, problem, now, **raised)
    assert config is not None
    if dry(config) and current.dry_run_at is not None:
        return dryrun.handled_before(current, event, now)
    state = current.model_copy(update=raised)
    ids = {"company_id": event.company_id, "alert_id": event.alert.id, "event_id": event.event_id}
    if dry(config) and state.status == "pending":
        return dryrun.preview(state, event, config, now)
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
    window = holding_window(config.maintenance_windows, event, now)
    if window is not None:
        return hold_in_window(state, event, window, now)
    if holding(config):
        return hold_raise(state, event, config, now)
    return _open(state, event, config, now)


def _open(
    state: AlertTicketState, event: AlertEvent, config: IntegrationConfig, now: datetime
) -> Decision:
    """A ticket for ``event``: the alert's last one reopened within the window, or a new one
    (in dry run: what the owner reads for it, nothing written)."""
    if dry(config):
        return dryrun.preview(state, event, config, now)
    ids = {"company_id": event.company_id, "alert_id": event.alert.id, "event_id": event.event_id}
    if reopens(state, config, now):
        reopened = state.halo_ticket_id
        state = state.next_intent().model_copy(update={"reopen_ticket_id": reopened})
        return _reopen(state, event, config, ids)
    state = state.next_intent()
    assert state.intent_key is not None
    return Decision(
        state, (OpenTicket(intent_key=state.intent_key, source=event, **ids),), ("open_ticket",)
    )


def fire(state: AlertTicketState, config: IntegrationConfig | None, now: datetime) -> Decision:
    """The hold-down timer: decide the held raise or clear once ``timer_at`` has passed (a
    timer that is not due, or was already handled, changes nothing). A raise held by a
    maintenance window is checked against the windows as they are now, whenever it comes."""
    if state.held_window is not None and state.held_raise is not None:
        return _window_over(state, config, now)
    if state.timer_at is None or now < state.timer_at:
        return Decision(state, (), ("timer_not_due",))
    event = state.held_raise or state.held_clear
    state = state.model_copy(update={"held_raise": None, "held_clear": None, "timer_at": None})
    if event is None:
        return Decision(state, (), ("timer_not_due",))
    problem = config_problem(config)
    if problem:
        return skip(state, event, problem, now)
    assert config is not None
    if event.event_type in ("raised", "updated"):
        return _open(state, event, config, now)
    if state.status == "open" and state.halo_ticket_id is not None:
        if dry(config):
            return dryrun.would_close(state, event, config, now, {})
        return Decision(state, (_close(state, event, config),), ("close_ticket",))
    return skip(state, event, "no_ticket", now)


def _window_over(
    state: AlertTicketState, config: IntegrationConfig | None, now: datetime
) -> Decision:
    """Re-check a raise held by a maintenance window: still held, or decided as a raise now."""
    event = state.held_raise
    assert event is not None
    released = state.model_copy(update={"held_raise": None, "held_window": None, "timer_at": None})
    problem = config_problem(config)
    if problem:
        return skip(released, event, problem, now)
    assert config is not None
    window = holding_window(config.maintenance_windows, event, now)
    if window is not None:
        return still_held(state, window)
    if not event.alert.visible:
        return skip(released, event, "not_visible", now)
    if event.alert.muted:
        return skip(released, event, "muted", now)
    if holding(config):  # the flap hold-down counts from the window's end
        return hold_raise(released, event, config, now)
    return _open(released, event, config, now)


def _close(state: AlertTicketState, event: AlertEvent, config: IntegrationConfig) -> CloseTicket:
    assert state.halo_ticket_id is not None
    return CloseTicket(
        company_id=event.company_id,
        alert_id=event.alert.id,
        halo_ticket_id=state.halo_ticket_id,
        event_id=event.event_id,
        policy=config.close_policy,
        cleared_at=event.occurred_at,
        baseline=state.baseline,
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
    if dry(config):
        return dryrun.would_note(current, event, now, raised)
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
    if current.held_raise is not None:
        if current.held_window is not None:
            return cleared_in_window(current, event, now, cleared)
        return flap(current, event, now, cleared)
    if current.held_clear is not None:
        return skip(current, event, "held_down", now, **cleared)
    if current.status == "open" and current.halo_ticket_id is not None:
        problem = config_problem(config)
        if problem:
            return skip(current, event, problem, now, **cleared)
        assert config is not None
        if holding(config):
            return hold_clear(current, event, config, now, cleared)
        if dry(config):
            return dryrun.would_close(current, event, config, now, cleared)
        action = _close(current, event, config)
        return Decision(current.model_copy(update=cleared), (action,), ("close_ticket",))
    if current.dry_run_at is not None and current.status in ("idle", "closed"):
        return dryrun.clear_without_ticket(current, event, now, cleared)
    reason = {"pending": "ticket_pending", "closed": "already_closed"}.get(
        current.status, "no_ticket"
    )
    return skip(current, event, reason, now, **cleared)
