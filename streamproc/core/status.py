"""A company's integration status and counters, folded from its ticket results (pure).

The status is a plain JSON-able dict kept in the ``company-status`` table:

``state``            ``active`` | ``error`` | ``disabled`` (``disabled`` while the config is off)
``last_error``       ``{reason, message, at, event_id}`` of the latest failure, or None
``last_success``     time of the latest created/closed ticket, or None
``counters``         ``{created, closed, failed, skipped: {reason: n}}``
``events_consumed``  input events handled (results published)
``halo_backlog``     ``{queued, drain_seconds}`` while the Halo instance's budget is the
                     bottleneck, else absent or None
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streamproc.contracts import IntegrationConfig, TicketResult

Status = dict[str, Any]


def empty_status() -> Status:
    """The status of a company nothing has happened to yet."""
    return {
        "state": "active",
        "last_error": None,
        "last_success": None,
        "counters": {"created": 0, "closed": 0, "failed": 0, "skipped": {}},
        "events_consumed": 0,
        "halo_backlog": None,
    }


def apply_results(status: Status | None, results: Iterable[TicketResult]) -> Status:
    """The status after ``results`` were published, in order: counters, last error/success and
    state (one copy of the status for all of them).

    A failure puts the integration in ``error`` until the next created or closed ticket.
    """
    new = {**(status or empty_status())}
    counters = {**new["counters"], "skipped": {**new["counters"]["skipped"]}}
    skipped = counters["skipped"]
    for result in results:
        new["events_consumed"] += 1
        if result.outcome == "skipped":
            skipped[result.reason] = skipped.get(result.reason, 0) + 1
            if result.reason == "integration_disabled":
                new["state"] = "disabled"
            continue
        counters[result.outcome] += 1
        at = result.at.isoformat()
        if result.outcome == "failed":
            new["state"] = "error"
            new["last_error"] = {
                "reason": result.reason,
                "message": result.message,
                "at": at,
                "event_id": result.event_id,
            }
        else:  # created or closed
            new["state"] = "active"
            new["last_success"] = at
    new["counters"] = counters
    return new


def apply_config(status: Status | None, config: IntegrationConfig | None) -> Status:
    """The status after the company's config was saved (or removed): a fresh, working start."""
    new = {**(status or empty_status())}
    if config is None or not config.enabled:
        new["state"] = "disabled"
    else:
        new["state"] = "active"  # a saved config was just tested against Halo; last_error stays
    return new


def apply_backlog(status: Status | None, backlog: Any) -> Status:
    """The status with the company's Halo instance backlog (``None`` once it has drained).

    ``backlog`` is a :class:`~streamproc.core.jobs.Backlog`: actions queued for the instance and
    the seconds its rate budget needs to work through them.
    """
    new = {**(status or empty_status())}
    new["halo_backlog"] = (
        None
        if backlog.queued == 0
        else {"queued": backlog.queued, "drain_seconds": round(backlog.drain_seconds)}
    )
    return new
