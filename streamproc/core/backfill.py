"""Backfill (SPEC §8): tickets for the alerts raised while the company had no integration.

Every alert's state keeps its latest raise while no ticket was made for it because the
integration was missing or off (:func:`keep_raise`, applied to every alert decision). Once the
integration is enabled, a backfill turns each such alert that is still raised into a raise
decided *now* (:func:`backfill_event`, an event id derived from the backfill and the alert), so
the ticket goes through the live path: dedupe and intent keys, dry run, maintenance windows,
hold-down and policies. A replayed backfill derives the same event ids, and an alert that got
its ticket is no longer a candidate: a second backfill creates nothing.

Progress is the ``backfill`` field of the company status (:func:`started`, :func:`counted`):
``{id, state: idle|running|done, total, created, skipped, failed, started_at, finished_at}``;
each backfilled alert's first result counts once.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from streamproc.contracts import AlertEvent, IntegrationConfig
from streamproc.core.decision import Decision
from streamproc.core.policies import reopens, ticket_class
from streamproc.core.state import AlertTicketState

PREFIX = "backfill-"  # event ids of backfilled raises
MAX_LISTED = 500  # alerts listed by the preview (the count is complete)
NOT_ACTED = frozenset({"integration_not_configured", "integration_disabled"})
SETTLED = frozenset({"duplicate_event", "stale_event"})
LOOKED_UP_AT_CREATE = ("asset_id", "user_id")


def keep_raise(decision: Decision, event: AlertEvent) -> Decision:
    """``decision`` with the alert's unticketed raise kept up to date in its state.

    A raise not acted on for want of an enabled integration is kept; a later raise replaces it
    (its muted/visible flags are the current ones) until the alert has an open ticket; a clear
    drops it. Costs nothing when the state holds no raise and the event is not one to keep.
    """
    state = decision.state
    if state is None or (decision.reasons and decision.reasons[0] in SETTLED):
        return decision
    if event.event_type in ("cleared", "resolved") or state.status == "open":
        if state.unticketed_raise is None:
            return decision
        return replace(decision, state=state.model_copy(update={"unticketed_raise": None}))
    if (decision.reasons and decision.reasons[0] in NOT_ACTED) or state.unticketed_raise:
        return replace(decision, state=state.model_copy(update={"unticketed_raise": event}))
    return decision


def candidate(state: AlertTicketState) -> bool:
    """The alert is raised now, has no ticket in the making and kept a raise to open one from."""
    kept = state.unticketed_raise
    if kept is None or not state.alert_active or state.status not in ("idle", "closed"):
        return False
    if state.held_raise is not None or state.held_clear is not None:
        return False
    # a technician closed its ticket and the alert only changed since: live keeps it closed
    technician = state.status == "closed" and state.closed_by == "halo"
    return not (technician and kept.event_type == "updated")


def left_pending(state: AlertTicketState) -> bool:
    """A kept raise whose ticket is pending: a backfill re-drives it under its intent key (an
    earlier run crashed before its job left; the owner finds the ticket if it was made)."""
    return state.status == "pending" and state.unticketed_raise is not None and state.alert_active


def would_ticket(state: AlertTicketState) -> bool:
    """A candidate a live raise would make a ticket for (not hidden, not muted)."""
    if not candidate(state):
        return False
    assert state.unticketed_raise is not None
    return state.unticketed_raise.alert.visible and not state.unticketed_raise.alert.muted


def backfill_event(state: AlertTicketState, backfill_id: str) -> AlertEvent:
    """The kept raise as the backfill's raise of the alert (same id on a replay)."""
    kept = state.unticketed_raise
    assert kept is not None
    digest = hashlib.sha256(f"{backfill_id}\x1f{state.alert_id}".encode()).hexdigest()[:32]
    return kept.model_copy(update={"event_id": f"{PREFIX}{digest}", "event_type": "raised"})


def preview_item(state: AlertTicketState, config: IntegrationConfig, now: datetime) -> dict:
    """One listed alert: what it is and where its ticket would go, as far as the config says.

    The asset (by serial) and the requester (reference email) are looked up in Halo when the
    ticket is created (``looked_up_at_create``); a matched asset moves the ticket to its client
    and site, so ``client_id``/``site_id`` are the defaults used when nothing matches.
    """
    event = state.unticketed_raise
    assert event is not None
    chosen = ticket_class(config, event.alert.severity, event.alert.name)
    return {
        "alert_id": state.alert_id,
        "computer": event.computer.name,
        "serial": event.computer.serial_number,
        "alert_name": event.alert.name,
        "severity": event.alert.severity,
        "raised_at": event.occurred_at.isoformat(),
        "would": {
            "action": "reopen" if reopens(state, config, now) else "create",
            "client_id": config.default_client_id,
            "site_id": config.default_site_id,
            "asset_id": None,
            "user_id": None,
            "priority_id": chosen.priority_id,
            "tickettype_id": chosen.tickettype_id,
            "halo_ticket_id": state.halo_ticket_id if reopens(state, config, now) else None,
            "looked_up_at_create": list(LOOKED_UP_AT_CREATE),
        },
    }


def preview(
    company_id: str,
    states: list[AlertTicketState],
    config: IntegrationConfig,
    now: datetime,
    limit: int = MAX_LISTED,
) -> dict[str, Any]:
    """The GET answer over the company's alert states (oldest raise first)."""
    due = sorted((s for s in states if would_ticket(s)), key=_raised_at)
    ticketed = sum(1 for s in states if s.alert_active and s.status in ("open", "pending"))
    return {
        "company_id": company_id,
        "count": len(due),
        "alerts": [preview_item(s, config, now) for s in due[:limit]],
        "already_ticketed": ticketed,
        "truncated": len(due) > limit,
    }


def _raised_at(state: AlertTicketState) -> Any:
    assert state.unticketed_raise is not None
    return (state.unticketed_raise.occurred_at, state.alert_id)


def started(status: dict | None, backfill_id: str, total: int, now: datetime) -> dict:
    """The status with a backfill of ``total`` alerts running (done at once when 0)."""
    progress = {
        "id": backfill_id,
        "state": "running" if total else "done",
        "total": total,
        "created": 0,
        "skipped": 0,
        "failed": 0,
        "started_at": now.isoformat(),
        "finished_at": None if total else now.isoformat(),
    }
    return {**(status or {}), "backfill": progress}


def progress_of(status: dict | None) -> dict | None:
    """The status's backfill progress, if a backfill ever ran."""
    found = (status or {}).get("backfill")
    return found if isinstance(found, dict) else None


def counted(status: dict | None, outcomes: list[str], now: datetime) -> tuple[dict | None, bool]:
    """The status with the first results of backfilled alerts counted; True when that finished
    the backfill (every alert has a result)."""
    progress = progress_of(status)
    if progress is None or progress.get("state") != "running" or not outcomes:
        return status, False
    progress = dict(progress)
    for outcome in outcomes:
        field = outcome if outcome in ("created", "failed") else "skipped"
        progress[field] = int(progress.get(field, 0)) + 1
    done = progress["created"] + progress["skipped"] + progress["failed"] >= progress["total"]
    if done:
        progress.update(state="done", finished_at=now.isoformat())
    return {**(status or {}), "backfill": progress}, done


def summary(progress: dict) -> str:
    """The activity-feed text of a finished backfill."""
    return (
        f"Backfill finished: {progress['created']} ticket(s) created, {progress['skipped']}"
        f" skipped, {progress['failed']} failed (of {progress['total']} alert(s))."
    )
