"""The company status folded from ticket results (pure)."""

from datetime import UTC, datetime

from streamproc.contracts import TicketResult
from streamproc.core.status import apply_results, empty_status


def result(outcome: str, reason: str, minute: int = 0) -> TicketResult:
    return TicketResult(
        event_id=f"e-{outcome}-{minute}",
        company_id="acme",
        alert_id="a1",
        outcome=outcome,
        reason=reason,
        message=f"{reason} message",
        at=datetime(2026, 12, 1, 9, minute, tzinfo=UTC),
    )


def test_results_fold_in_order_into_counters_and_state() -> None:
    status = apply_results(
        None,
        [
            result("created", "ticket_created", 1),
            result("skipped", "already_open", 2),
            result("failed", "halo_unavailable", 3),
        ],
    )
    assert status["events_consumed"] == 3
    assert status["counters"] == {
        "created": 1,
        "closed": 0,
        "failed": 1,
        "skipped": {"already_open": 1},
    }
    assert status["state"] == "error"  # the latest non-skip result was a failure
    assert status["last_error"]["reason"] == "halo_unavailable"
    assert status["last_success"] == "2026-12-01T09:01:00+00:00"


def test_a_created_or_closed_ticket_ends_an_error_and_disabled_skips_say_so() -> None:
    failed = apply_results(None, [result("failed", "halo_unavailable", 1)])
    recovered = apply_results(failed, [result("closed", "ticket_closed", 2)])
    assert recovered["state"] == "active"
    assert recovered["last_error"]["reason"] == "halo_unavailable"  # kept for the operator
    disabled = apply_results(recovered, [result("skipped", "integration_disabled", 3)])
    assert disabled["state"] == "disabled"


def test_the_status_it_was_given_is_not_changed() -> None:
    before = empty_status()
    apply_results(before, [result("skipped", "muted"), result("created", "ticket_created")])
    assert before == empty_status()


def test_a_backlog_is_kept_in_the_status_until_it_drains():
    from streamproc.core.jobs import Backlog
    from streamproc.core.status import apply_backlog

    status = apply_backlog(None, Backlog(queued=412, drain_seconds=429.6))
    assert status["halo_backlog"] == {"queued": 412, "drain_seconds": 430}
    assert status["counters"]["created"] == 0  # the rest of the status is left as it was
    assert apply_backlog(status, Backlog(queued=0, drain_seconds=0))["halo_backlog"] is None
