"""A company's integration status and counters, folded from its ticket results (pure).

The status is a plain JSON-able dict kept in the ``company-status`` table:

``state``            ``active`` | ``error`` | ``disabled`` (``disabled`` while the config is off)
``last_error``       ``{reason, message, at, event_id}`` of the latest failure, or None
``last_success``     time of the latest created/closed ticket, or None
``counters``         ``{created, closed, failed, skipped: {reason: n}}``
``events_consumed``  input events handled (results published)
``halo_backlog``     ``{queued, drain_seconds}`` while the Halo instance's budget is the
                     bottleneck, else absent or None
``backfill``         ``{state: idle|running|done, total, created, skipped, failed, started_at,
                     finished_at}`` of the latest backfill (core/backfill.py)
``halo_names``       ``{ticket_types, priorities, clients, sites, statuses: {id: name}, at}``
                     as the latest credential test learned them (core/halo_names.py)
``dry_run_hours``    dry run (SPEC §8): ``{hour: {create, close, reopen, note, default_client}}``
                     what live mode would have done, per UTC hour (``YYYY-MM-DDTHH``), the last
                     25 hours; :func:`dry_run_summary` sums the last 24
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
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
        "dry_run_hours": {},
        "self_test": None,  # the latest self-test's report (core/selftest.py)
        "drift_check": None,  # the latest drift check's report (core/selftest.py)
        "halo_names": None,  # Halo's names of the ids in use (core/halo_names.py)
        "backfill": {  # the latest backfill's progress (core/backfill.py)
            "state": "idle",
            "total": 0,
            "created": 0,
            "skipped": 0,
            "failed": 0,
            "started_at": None,
            "finished_at": None,
        },
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
        if result.would is not None:
            new["dry_run_hours"] = _count_would(new.get("dry_run_hours") or {}, result)
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


KEPT_HOURS = 25
WOULD_KEYS = ("create", "close", "reopen", "note", "default_client")


def _hour(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _count_would(hours: dict[str, Any], result: TicketResult) -> dict[str, Any]:
    """``hours`` with ``result``'s ``would`` counted in its hour (older hours dropped)."""
    assert result.would is not None
    oldest = _hour(result.at - timedelta(hours=KEPT_HOURS))
    kept = {hour: dict(counts) for hour, counts in hours.items() if hour > oldest}
    counts = kept.setdefault(_hour(result.at), {})
    counts[result.would.action] = counts.get(result.would.action, 0) + 1
    if result.would.routed_by == "default_client":
        counts["default_client"] = counts.get("default_client", 0) + 1
    return kept


def dry_run_summary(status: Status, now: datetime) -> dict[str, Any] | None:
    """What dry run would have done in the last 24 hours (whole UTC hours), or None if nothing:
    ``{since, would_create, would_close, would_reopen, would_note, default_client}``."""
    hours = status.get("dry_run_hours")
    if not isinstance(hours, dict) or not hours:
        return None
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    first = _hour(start)
    totals = dict.fromkeys(WOULD_KEYS, 0)
    for hour, counts in hours.items():
        if hour >= first and isinstance(counts, dict):
            for key in WOULD_KEYS:
                totals[key] += int(counts.get(key, 0) or 0)
    if not any(totals.values()):
        return None
    summary: dict[str, Any] = {"since": start.isoformat()}
    summary.update({f"would_{key}": totals[key] for key in WOULD_KEYS[:4]})
    summary["default_client"] = totals["default_client"]
    return summary


def dry_run_sentence(summary: dict[str, Any] | None) -> str | None:
    """The summary as people read it: "would have created 41 tickets, 3 under the default
    client because no asset matched; …"."""
    if not summary:
        return None
    created = summary.get("would_create", 0)
    parts = [f"would have created {created} ticket{'s' if created != 1 else ''}"]
    if summary.get("default_client"):
        parts[0] += f", {summary['default_client']} under the default client because no asset"
        parts[0] += " matched"
    for key, verb in (("would_close", "closed"), ("would_reopen", "reopened")):
        if summary.get(key):
            parts.append(f"{verb} {summary[key]}")
    if summary.get("would_note"):
        parts.append(
            f"added {summary['would_note']} note{'s' if summary['would_note'] != 1 else ''}"
        )
    return "Dry run, last 24 h: " + "; ".join(parts) + ". Nothing was written to Halo."
