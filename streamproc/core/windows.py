"""Which maintenance window holds an alert's raise now, and until when (pure; SPEC §8).

A weekly window's occurrence starts on each of its days at ``from`` and ends at the next ``to``
(the next day when ``to`` is at or before ``from``), both wall-clock times in its time zone.
Wall-clock times are turned into instants the way :mod:`zoneinfo` does with ``fold=0``: a time
that occurs twice (clocks going back) means its first occurrence, a time that does not exist
(clocks going forward) is read with the offset before the change, i.e. as much later as the
change skips. ``end`` is the moment the wall clock first shows ``to``, whatever DST does in
between; an occurrence whose times a change skips entirely (02:30 to 03:00 on the night clocks
jump from 02:00 to 03:00) is empty that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from fnmatch import fnmatchcase
from typing import NamedTuple
from zoneinfo import ZoneInfo

from streamproc.contracts import AlertEvent
from streamproc.contracts.windows import DAYS, MaintenanceWindow, WeeklyTimes


class Held(NamedTuple):
    """The window holding a raise: its id and when it ends."""

    window_id: str
    end: datetime


def applies(window: MaintenanceWindow, event: AlertEvent) -> bool:
    """True when ``window``'s limits (computers, alert name pattern) cover ``event``'s alert."""
    if window.computers:
        computer = event.computer
        names = {computer.watchman_id.casefold(), computer.name.casefold()}
        if computer.serial_number:
            names.add(computer.serial_number.casefold())
        if not any(ref.casefold() in names for ref in window.computers):
            return False
    pattern = window.alert_name_pattern
    return pattern is None or fnmatchcase(event.alert.name.casefold(), pattern.casefold())


def _instant(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def weekly_span(
    weekly: WeeklyTimes, zone_name: str, now: datetime
) -> tuple[datetime, datetime] | None:
    """``(start, end)`` of the occurrence of a weekly window that contains ``now``, if any."""
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    ends_next_day = weekly.to <= weekly.from_
    # an occurrence lasts under 25 h: only one started today or yesterday can contain now
    for day in (today - timedelta(days=1), today):
        if DAYS[day.weekday()] not in weekly.days:
            continue
        start = _instant(day, weekly.from_, zone)
        end = _instant(day + timedelta(days=int(ends_next_day)), weekly.to, zone)
        if start <= now < end:
            return start, end
    return None


def span(window: MaintenanceWindow, now: datetime) -> tuple[datetime, datetime] | None:
    """``(start, end)`` of ``window`` when it is active at ``now`` (None when it is not)."""
    if window.weekly is not None and window.time_zone is not None:
        return weekly_span(window.weekly, window.time_zone, now)
    assert window.start is not None  # the contract checks it
    assert window.end is not None
    return (window.start, window.end) if window.start <= now < window.end else None


def holding_window(
    windows: Iterable[MaintenanceWindow], event: AlertEvent, now: datetime
) -> Held | None:
    """The active window that covers ``event``'s alert and ends last (None: no window holds it).

    Overlapping windows chain: when the chosen one ends the raise is checked again, so a window
    that starts as another ends keeps holding it.
    """
    best: Held | None = None
    for window in windows:
        if not applies(window, event):
            continue
        found = span(window, now)
        if found is not None and (best is None or found[1] > best.end):
            best = Held(window.id, found[1])
    return best


def active_ids(windows: Iterable[MaintenanceWindow], now: datetime) -> list[str]:
    """Ids of the windows active at ``now`` (whatever their limits)."""
    return [w.id for w in windows if span(w, now) is not None]
