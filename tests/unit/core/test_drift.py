"""When a company's config is re-checked for drift without being asked (issue 16.4)."""

from __future__ import annotations

from streamproc.core.drift import (
    daily_check_due,
    latest_slot,
    offset,
    recheck_due,
    suggests_drift,
)
from streamproc.halopsa.errors import error_from_response

DAY = 86400.0


def _said(status: int, body: str) -> tuple[str, str]:
    err = error_from_response("POST", "/api/Tickets", status, body)
    return err.reason, str(err)


def test_halo_errors_naming_a_configured_id_suggest_drift() -> None:
    assert suggests_drift(*_said(400, "Priority 3 is not valid for SLA 99."))
    assert suggests_drift(*_said(400, "Ticket Type 7 does not exist."))
    assert suggests_drift(*_said(400, '{"[0].site_id": ["Site 24 does not exist."]}'))
    assert suggests_drift(*_said(404, "Status 77 does not exist."))


def test_other_halo_errors_do_not() -> None:
    # our own advice after "Action:" names ticket types and priorities: only Halo's words count
    assert not suggests_drift(*_said(400, "Please enter a value for category_1."))
    assert not suggests_drift(*_said(404, "Ticket 5 not found."))  # a deleted ticket
    assert not suggests_drift(*_said(429, "Priority queue full"))  # rate limited: no verdict
    assert not suggests_drift(*_said(503, "Site down"))
    assert not suggests_drift("credentials_rejected", "client secret wrong")
    assert not suggests_drift(None, None)


def test_each_company_has_its_own_moment_of_the_day() -> None:
    companies = [f"co-{n}" for n in range(100)]
    moments = sorted(offset(c, DAY) for c in companies)
    assert all(0 <= m < DAY for m in moments)
    assert offset("co-1", DAY) == offset("co-1", DAY)  # stable across workers and restarts
    # 100 companies spread over the day: no hour holds more than a fifth of them
    by_hour = [sum(1 for m in moments if h * 3600 <= m < (h + 1) * 3600) for h in range(24)]
    assert max(by_hour) <= 20
    assert len({round(m) for m in moments}) == 100


def test_a_daily_check_is_due_once_per_day_at_the_companys_moment() -> None:
    now = 10 * DAY + 5000.0
    slot = latest_slot("acme", now, DAY)
    assert now - DAY < slot <= now
    saved = slot - 3 * DAY
    assert daily_check_due("acme", None, saved, now, DAY)  # never checked since the save
    assert daily_check_due("acme", slot - 1, saved, now, DAY)  # checked before today's moment
    assert not daily_check_due("acme", slot + 1, saved, now, DAY)  # checked since
    assert not daily_check_due("acme", slot + 1, saved, slot + DAY - 1, DAY)  # not yet again
    assert daily_check_due("acme", slot + 1, saved, slot + DAY + 1, DAY)  # the next day
    # a config saved after today's moment was tested when saved: its first check is tomorrow
    assert not daily_check_due("acme", None, slot + 10, now, DAY)


def test_a_check_after_an_error_is_debounced() -> None:
    assert recheck_due(None, 1000.0, 600)
    assert not recheck_due(900.0, 1000.0, 600)
    assert recheck_due(400.0, 1000.0, 600)
