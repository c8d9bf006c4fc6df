"""Flap hold-down (SPEC §7): a raise or a clear waits ``hold_down_seconds`` before it counts.

A raise that clears within the hold-down makes no ticket (``skipped/flapping``); a clear that
is raised again within it closes nothing (``skipped/flap_kept_open``). The waiting event is kept
in the alert's state with ``timer_at``; the shell's timer hands the state back to
:func:`~streamproc.core.lifecycle.fire` once that time has passed, so the decision survives
restarts and rebalances (the state is a changelogged table) and an alert that stays raised gets
its ticket as soon as the hold-down ends. The held event's result is published when it is
decided: still exactly one result per input event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.core.actions import Action
from streamproc.core.decision import Decision, skip_message
from streamproc.core.outputs import alert_activity, alert_result
from streamproc.core.state import AlertTicketState


def holding(config: IntegrationConfig | None) -> bool:
    """The company holds raises and clears down."""
    return config is not None and config.enabled and config.hold_down_seconds > 0


def _until(config: IntegrationConfig, now: datetime) -> datetime:
    assert config is not None
    return now + timedelta(seconds=config.hold_down_seconds)


def hold_raise(
    state: AlertTicketState, event: AlertEvent, config: IntegrationConfig, now: datetime
) -> Decision:
    """Keep the raise that would open a ticket until the hold-down ends."""
    new = state.remember(event.event_id, held_raise=event, timer_at=_until(config, now))
    return Decision(new, (), ("raise_held",))


def hold_clear(
    state: AlertTicketState,
    event: AlertEvent,
    config: IntegrationConfig,
    now: datetime,
    cleared: dict[str, Any],
) -> Decision:
    """Keep the clear that would close the ticket until the hold-down ends."""
    new = state.remember(event.event_id, held_clear=event, timer_at=_until(config, now), **cleared)
    return Decision(new, (), ("clear_held",))


def _skipped(state: AlertTicketState, event: AlertEvent, reason: str, now: datetime) -> Action:
    text = skip_message(reason, state.halo_ticket_id)
    return alert_result(state, event.event_id, "skipped", reason, text, now)


def _entry(state: AlertTicketState, event: AlertEvent, text: str, now: datetime) -> Action:
    return alert_activity(state, "info", "flapping", text, event.event_id, now)


def flap(
    state: AlertTicketState, event: AlertEvent, now: datetime, cleared: dict[str, Any]
) -> Decision:
    """The held raise cleared within the hold-down: no ticket; both events say ``flapping``."""
    held = state.held_raise
    assert held is not None
    new = state.remember(event.event_id, held_raise=None, timer_at=None, **cleared)
    text = (
        f"Alert {state.alert_id!r} ({held.alert.name}) was raised at"
        f" {held.occurred_at.isoformat()} and cleared at {event.occurred_at.isoformat()}, within"
        " the flap hold-down: no ticket was created."
    )
    actions = (
        _skipped(new, held, "flapping", now),
        _skipped(new, event, "flapping", now),
        _entry(new, event, text, now),
    )
    return Decision(new, actions, ("flapping",))


def keep_open(
    state: AlertTicketState, event: AlertEvent, now: datetime, raised: dict[str, Any]
) -> Decision:
    """The alert was raised again while its clear was held: the ticket stays open."""
    held = state.held_clear
    assert held is not None
    new = state.remember(event.event_id, held_clear=None, timer_at=None, **raised)
    text = (
        f"Alert {state.alert_id!r} ({event.alert.name}) cleared at"
        f" {held.occurred_at.isoformat()} and was raised again at"
        f" {event.occurred_at.isoformat()}, within the flap hold-down: Halo ticket"
        f" #{state.halo_ticket_id} stays open."
    )
    actions = (
        _skipped(new, held, "flap_kept_open", now),
        _skipped(new, event, "already_open", now),
        _entry(new, event, text, now),
    )
    return Decision(new, actions, ("flap_kept_open",))
