"""Maintenance window matching (SPEC §8): one-off and weekly spans, midnight, DST, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core_builders import an_event
from hypothesis import given
from hypothesis import strategies as st

from streamproc.contracts.windows import DAYS, MaintenanceWindow
from streamproc.core.windows import Held, active_ids, applies, holding_window, span

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def weekly(days: list[str], start: str, end: str, zone: str = "Europe/Berlin", **limits: Any):
    return MaintenanceWindow.model_validate(
        {"id": "w", "weekly": {"days": days, "from": start, "to": end}, "time_zone": zone, **limits}
    )


def one_off(start: datetime, end: datetime, window_id: str = "o", **limits: Any):
    return MaintenanceWindow.model_validate({"id": window_id, "start": start, "end": end, **limits})


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)  # type: ignore[misc]


def test_a_one_off_window_holds_from_its_start_up_to_but_not_at_its_end() -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
    window = one_off(start, start + timedelta(hours=2))
    assert span(window, start - timedelta(seconds=1)) is None
    assert span(window, start) == (start, start + timedelta(hours=2))
    assert span(window, start + timedelta(hours=2) - timedelta(microseconds=1)) is not None
    assert span(window, start + timedelta(hours=2)) is None


def test_a_weekly_window_uses_wall_clock_times_of_its_zone() -> None:
    window = weekly(["wed"], "09:00", "10:00")  # 2026-06-03 is a Wednesday, CEST (+02:00)
    assert span(window, local(BERLIN, 2026, 6, 3, 9, 30)) == (
        datetime(2026, 6, 3, 7, 0, tzinfo=UTC),
        datetime(2026, 6, 3, 8, 0, tzinfo=UTC),
    )
    assert span(window, datetime(2026, 6, 3, 9, 30, tzinfo=UTC)) is None  # 11:30 in Berlin
    assert span(window, local(BERLIN, 2026, 6, 10, 9, 0)) is not None  # next week
    assert span(window, local(BERLIN, 2026, 6, 4, 9, 30)) is None  # Thursday


def test_a_weekly_window_across_midnight_belongs_to_the_day_it_starts() -> None:
    window = weekly(["fri"], "22:00", "06:00")  # 2026-06-05 is a Friday
    assert span(window, local(BERLIN, 2026, 6, 5, 23, 0)) is not None
    found = span(window, local(BERLIN, 2026, 6, 6, 5, 59))  # Saturday morning
    assert found == (local(BERLIN, 2026, 6, 5, 22, 0), local(BERLIN, 2026, 6, 6, 6, 0))
    assert span(window, local(BERLIN, 2026, 6, 6, 6, 0)) is None
    assert span(window, local(BERLIN, 2026, 6, 5, 5, 0)) is None  # Thursday's night: not a day
    assert span(window, local(BERLIN, 2026, 6, 6, 23, 0)) is None  # Saturday evening


def test_from_equal_to_is_a_whole_day_and_consecutive_days_chain() -> None:
    window = weekly(["sat", "sun"], "00:00", "00:00")
    saturday_noon = local(BERLIN, 2026, 6, 6, 12, 0)
    assert span(window, saturday_noon) == (
        local(BERLIN, 2026, 6, 6, 0, 0),
        local(BERLIN, 2026, 6, 7, 0, 0),
    )
    # at Saturday's end, Sunday's occurrence holds: the raise stays held until Monday 00:00
    assert span(window, local(BERLIN, 2026, 6, 7, 0, 0))[1] == local(BERLIN, 2026, 6, 8, 0, 0)
    assert span(window, local(BERLIN, 2026, 6, 8, 0, 0)) is None


def test_spring_forward_night_the_window_is_an_hour_shorter() -> None:
    # Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST; 01:00-04:00 lasts two real hours
    window = weekly(["sun"], "01:00", "04:00")
    start, end = span(window, local(BERLIN, 2026, 3, 29, 3, 30))
    assert (start, end) == (
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
    )


def test_a_start_time_that_does_not_exist_starts_when_the_clock_jumps_past_it() -> None:
    window = weekly(["sun"], "02:30", "05:00")
    assert span(window, datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) is None  # 01:59 CET
    start, end = span(window, datetime(2026, 3, 29, 2, 0, tzinfo=UTC))  # 04:00 CEST
    assert start == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert end == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)  # 05:00 CEST


def test_fall_back_night_ends_the_first_time_the_clock_shows_the_end() -> None:
    # New York 2026-11-01: 02:00 EDT goes back to 01:00 EST; 01:30 occurs twice
    window = weekly(["sun"], "00:00", "01:30", zone="America/New_York")
    first = local(NEW_YORK, 2026, 11, 1, 1, 15)
    second = local(NEW_YORK, 2026, 11, 1, 1, 15, fold=1)
    assert span(window, first)[1] == local(NEW_YORK, 2026, 11, 1, 1, 30)  # 05:30 UTC
    assert span(window, second) is None  # an hour after the window ended


def test_across_midnight_into_a_dst_change() -> None:
    window = weekly(["sat"], "22:00", "03:00")  # Saturday 2026-03-28 into the short night
    start, end = span(window, local(BERLIN, 2026, 3, 29, 1, 0))
    assert end - start == timedelta(hours=4)  # 5 wall-clock hours, one skipped
    assert end == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_limits_to_computers_match_id_name_or_serial_case_insensitively() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    event = an_event(serial_number="C02XYZ")  # computer c-1 "MacBook"
    assert applies(one_off(start, start + timedelta(1)), event)
    for ref in ("C-1", "macbook", "c02xyz"):
        assert applies(one_off(start, start + timedelta(1), computers=[ref]), event)
    assert not applies(one_off(start, start + timedelta(1), computers=["other", "Mac"]), event)


def test_limits_to_alert_names_are_shell_patterns() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    event = an_event()  # "Disk space low"
    assert applies(one_off(start, start + timedelta(1), alert_name_pattern="disk*"), event)
    assert not applies(one_off(start, start + timedelta(1), alert_name_pattern="Disk"), event)
    both = one_off(start, start + timedelta(1), computers=["c-1"], alert_name_pattern="Backup*")
    assert not applies(both, event)  # both limits must hold


def test_the_covering_window_that_ends_last_holds_the_raise() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    short = one_off(now - timedelta(hours=1), now + timedelta(hours=1), "short")
    long = one_off(now, now + timedelta(hours=3), "long")
    other = one_off(now, now + timedelta(hours=9), "other", computers=["someone-else"])
    later = one_off(now + timedelta(hours=1), now + timedelta(hours=9), "later")
    windows = [short, long, other, later]
    assert holding_window(windows, an_event(), now) == Held("long", now + timedelta(hours=3))
    assert holding_window([], an_event(), now) is None
    assert active_ids(windows, now) == ["short", "long", "other"]


zones = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"])
clocks = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 30]))
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7), clocks, clocks, zones, instants)
def test_an_active_weekly_window_contains_now_starts_on_a_listed_day_and_ends_at_to(
    days: list[str], start: str, end: str, zone: str, now: datetime
) -> None:
    window = weekly(days, start, end, zone)
    found = span(window, now)
    if found is None:
        return
    begins, ends = found
    assert begins <= now < ends
    assert ends - begins <= timedelta(hours=25)
    assert DAYS[begins.astimezone(ZoneInfo(zone)).weekday()] in window.weekly.days


@given(clocks, clocks, zones, instants)
def test_every_day_windows_hold_exactly_at_the_wall_clock_times_between_from_and_to(
    start: str, end: str, zone: str, now: datetime
) -> None:
    window = weekly(list(DAYS), start, end, zone)
    wall = now.astimezone(ZoneInfo(zone))
    if wall.utcoffset() != (wall - timedelta(hours=3)).utcoffset():
        return  # within 3 h of a DST change: covered by the explicit tests above
    if (wall + timedelta(hours=3)).utcoffset() != wall.utcoffset():
        return
    clock = wall.strftime("%H:%M")
    inside = start <= clock < end if start < end else clock >= start or clock < end
    assert (span(window, now) is not None) == inside
