"""Hold timers' index: due times follow the states; changed windows re-check a company now."""

from __future__ import annotations

from datetime import UTC, datetime

from streamproc.agents.timers import HoldDownTimers
from streamproc.core import AlertTicketState

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def held(company: str, alert: str) -> AlertTicketState:
    return AlertTicketState(company_id=company, alert_id=alert, timer_at=AT)


def test_changed_windows_make_the_companys_timers_due_now_and_only_theirs() -> None:
    timers = HoldDownTimers(runtime=None)  # type: ignore[arg-type]
    timers.note(b"k1", held("acme", "a1"))
    timers.note(b"k2", held("other", "a2"))
    timers.sent[b"k1"] = 5.0  # sent a moment ago: without the re-check it would wait RESEND
    timers.recheck("acme")
    assert timers.due[b"k1"] == ("acme", "a1", 0.0)
    assert b"k1" not in timers.sent
    assert timers.due[b"k2"] == ("other", "a2", AT.timestamp())


def test_a_new_due_time_forgets_the_record_sent_for_the_old_one() -> None:
    timers = HoldDownTimers(runtime=None)  # type: ignore[arg-type]
    timers.note(b"k1", held("acme", "a1"))
    timers.sent[b"k1"] = 5.0
    timers.note(b"k1", held("acme", "a1"))  # same due time: still sent
    assert b"k1" in timers.sent
    later = held("acme", "a1").model_copy(update={"timer_at": AT.replace(hour=13)})
    timers.note(b"k1", later)
    assert b"k1" not in timers.sent
    timers.note(b"k1", later.model_copy(update={"timer_at": None}))
    assert b"k1" not in timers.due
