"""The :class:`Decision` value returned by every core decider, and the skip vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streamproc.contracts import AlertEvent
from streamproc.core import outputs
from streamproc.core.actions import Action
from streamproc.core.state import AlertTicketState


@dataclass(frozen=True, slots=True)
class Decision:
    """A decider's answer: the new state (``None`` for stateless warnings), actions, reasons.

    The shell stores ``state`` (when not ``None``), then executes ``actions`` in order.
    ``reasons`` is the decision trail: machine words such as ``open_ticket`` or ``not_visible``.
    """

    state: AlertTicketState | None
    actions: tuple[Action, ...] = ()
    reasons: tuple[str, ...] = ()


SKIP_MESSAGES: dict[str, str] = {
    "integration_not_configured": "No HaloPSA integration is configured for this company, so no"
    " ticket was created or closed.",
    "integration_disabled": "The HaloPSA integration is turned off for this company; turn it on"
    " in the integration settings to create and close tickets.",
    "not_visible": "The alert is hidden in Watchman; hidden alerts do not create tickets.",
    "muted": "The alert is muted in Watchman; muted alerts do not create tickets. Unmute it to"
    " get a ticket.",
    "already_open": "A Halo ticket is already open for this alert{ticket}.",
    "stale_event": "The event is older than the latest event already handled for this alert;"
    " ignored.",
    "ticket_closed_in_halo": "A technician closed the Halo ticket{ticket} while the alert was"
    " still active; alert updates do not reopen it. A new ticket is created if the alert is"
    " raised again.",
    "no_ticket": "No Halo ticket is open for this alert; nothing to close.",
    "already_closed": "The Halo ticket{ticket} is already closed.",
    "ticket_pending": "Creation of the Halo ticket for this alert is not confirmed yet; it will be"
    " closed as soon as it is confirmed.",
    "held_down": "The alert's last change waits for the company's flap hold-down; this event"
    " changes nothing.",
    "flapping": "The alert was raised and cleared within the company's flap hold-down, so no"
    " ticket was created.",
    "maintenance_window": "The alert is inside one of the company's maintenance windows: no"
    " ticket now; it gets one when the window ends if it is still raised.",
    "flap_kept_open": "The alert cleared and was raised again within the company's flap"
    " hold-down, so its Halo ticket{ticket} stays open.",
}
"""Skip reason → human message (``{ticket}`` becomes `` (#123)`` when a ticket is known)."""

QUIET_SKIPS = frozenset(
    {"integration_not_configured", "integration_disabled", "already_open", "no_ticket", "held_down"}
)
"""Alert skips that are routine: a ticket result but no activity-feed entry.

A disabled integration is the administrator's choice (the config change is in the feed and the
status says ``disabled``); an entry per alert would flood the feed during an alert storm.
"""


def skip_message(reason: str, halo_ticket_id: int | None) -> str:
    """The human message for a skip reason, naming the Halo ticket when there is one."""
    ticket = f" (#{halo_ticket_id})" if halo_ticket_id is not None else ""
    return SKIP_MESSAGES[reason].format(ticket=ticket)


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
