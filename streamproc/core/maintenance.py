"""Maintenance windows (SPEC §8): a raise inside one waits for its end instead of a ticket.

The raise that would open a ticket gets its result at once (``skipped/maintenance_window``, with
an activity entry) and is kept in the alert's state with ``held_window`` and ``timer_at`` = the
window's end: the flap hold-down's timer (:mod:`streamproc.agents.timers`) hands it back to
:func:`~streamproc.core.lifecycle.fire` then, across restarts and rebalances. Still raised then
→ the normal path (a ticket: a second result for the held event, ``created``); cleared during the
window → no ticket (decided when the clear comes). A later raise while held replaces the held
one, so the alert is decided as it stands when the window ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streamproc.contracts import AlertEvent
from streamproc.core.decision import Decision, skip_message
from streamproc.core.outputs import alert_activity, alert_result
from streamproc.core.state import AlertTicketState
from streamproc.core.windows import Held

REASON = "maintenance_window"


def hold_in_window(
    state: AlertTicketState, event: AlertEvent, held: Held, now: datetime
) -> Decision:
    """``event`` would open a ticket inside window ``held``: no ticket until it ends."""
    new = state.remember(
        event.event_id, held_raise=event, held_window=held.window_id, timer_at=held.end
    )
    text = (
        f"Alert {state.alert_id!r} ({event.alert.name}) was raised during maintenance window"
        f" {held.window_id!r}: no ticket now. If it is still raised when the window ends"
        f" ({held.end.isoformat()}), it gets its ticket then."
    )
    actions = (
        alert_result(new, event.event_id, "skipped", REASON, text, now),
        alert_activity(new, "info", REASON, text, event.event_id, now),
    )
    return Decision(new, actions, (REASON,))


def raised_again(
    state: AlertTicketState, event: AlertEvent, now: datetime, raised: dict[str, Any]
) -> Decision:
    """Another raise of an alert held by a window: it replaces the held one (result only)."""
    new = state.remember(event.event_id, held_raise=event, **raised)
    text = skip_message(REASON, state.halo_ticket_id)
    return Decision(
        new, (alert_result(new, event.event_id, "skipped", REASON, text, now),), (REASON,)
    )


def cleared_in_window(
    state: AlertTicketState, event: AlertEvent, now: datetime, cleared: dict[str, Any]
) -> Decision:
    """The held raise cleared before its window ended: it never gets a ticket."""
    held = state.held_raise
    assert held is not None
    new = state.remember(
        event.event_id, held_raise=None, held_window=None, timer_at=None, **cleared
    )
    text = (
        f"Alert {state.alert_id!r} ({held.alert.name}), raised at {held.occurred_at.isoformat()}"
        f" during maintenance window {state.held_window!r}, cleared at"
        f" {event.occurred_at.isoformat()} before the window ended: no ticket was created."
    )
    actions = (
        alert_result(new, event.event_id, "skipped", REASON, text, now),
        alert_activity(new, "info", REASON, text, event.event_id, now),
    )
    return Decision(new, actions, (REASON,))


def still_held(state: AlertTicketState, held: Held) -> Decision:
    """The window ended (or changed) but a window still holds the raise: wait for that one."""
    new = state.model_copy(update={"held_window": held.window_id, "timer_at": held.end})
    return Decision(new, (), ("maintenance_window_continues",))
