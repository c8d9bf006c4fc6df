"""Maintenance windows (SPEC §8): the field of the saved config and of the API body.

A window is one-off (``start``/``end``, RFC 3339 with an offset) or weekly (``weekly{days, from,
to}`` as wall-clock times in the IANA ``time_zone``; ``to`` at or before ``from`` ends the next
day). It may be limited to some computers or to alert names matching a pattern. A raise that
would open a ticket inside a window waits for its end (:mod:`streamproc.core.maintenance`).
No windows (the default) keeps today's behaviour.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from streamproc.contracts._base import Id, InputPart, Timestamp

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_WINDOWS = 50
MAX_COMPUTERS = 500
MAX_ONE_OFF = timedelta(days=366)  # longer is a typo, not a maintenance
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _day(value: str) -> str:
    word = value.strip().lower()
    if word in _FULL_DAYS:
        return DAYS[_FULL_DAYS.index(word)]
    if word not in DAYS:
        raise ValueError("unknown day: use mon, tue, wed, thu, fri, sat or sun")
    return word


def _clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError("must be a 24-hour time HH:MM, 00:00 to 23:59")
    return value


def check_pattern(value: str) -> str:
    """A shell-style alert name pattern, or ValueError saying what is wrong with it."""
    if not value.strip():
        raise ValueError("must not be blank")
    if not value.isprintable():
        raise ValueError("must not contain control characters")
    opened = value.find("[")
    if opened != -1 and "]" not in value[opened + 2 :]:  # fnmatch would match '[' literally
        raise ValueError("has a '[' that is never closed (write [[] to match a '[' itself)")
    return value


def check_zone(value: str) -> str:
    """An IANA time zone name that this host knows, or ValueError."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            "unknown time zone: use an IANA name such as Europe/Berlin or America/New_York"
        ) from None
    return value


Day = Annotated[str, AfterValidator(_day)]
Clock = Annotated[str, AfterValidator(_clock)]
Pattern = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(check_pattern)
]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(check_zone)]
ComputerRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class WeeklyTimes(InputPart):
    """The days a weekly window starts on, and its wall-clock start and end."""

    model_config = ConfigDict(frozen=True, extra="ignore", serialize_by_alias=True)

    days: tuple[Day, ...] = Field(
        max_length=7,
        description="Days the window starts on: mon, tue, wed, thu, fri, sat, sun.",
    )
    from_: Clock = Field(alias="from", description="Local start time, HH:MM (24-hour).")
    to: Clock = Field(
        description="Local end time, HH:MM; at or before 'from' means the next day (22:00 to"
        " 06:00 spans midnight; equal to 'from' is a whole day)."
    )

    @field_validator("days")
    @classmethod
    def _distinct(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        if not days:
            raise ValueError("name at least one day: mon, tue, wed, thu, fri, sat or sun")
        return tuple(sorted(set(days), key=DAYS.index))


class MaintenanceWindow(InputPart):
    """A time during which a raise makes no ticket until the window ends."""

    id: Id = Field(description="Name of the window, unique within the company.")
    start: Timestamp | None = Field(default=None, description="One-off: start (RFC 3339).")
    end: Timestamp | None = Field(default=None, description="One-off: end (RFC 3339).")
    weekly: WeeklyTimes | None = Field(default=None, description="Weekly: days and times.")
    time_zone: Zone | None = Field(
        default=None, description="Weekly: IANA time zone of 'from' and 'to' (e.g. Europe/Paris)."
    )
    computers: tuple[ComputerRef, ...] = Field(
        default=(),
        max_length=MAX_COMPUTERS,
        description="Only alerts of these computers (Watchman computer id, name or serial"
        " number, case-insensitive); all computers if empty.",
    )
    alert_name_pattern: Pattern | None = Field(
        default=None,
        description="Only alerts whose name matches this shell-style pattern, case-insensitive"
        " (e.g. 'Disk*'); all alerts if unset.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        one_off = self.start is not None or self.end is not None
        weekly = self.weekly is not None or self.time_zone is not None
        if one_off == weekly:
            raise ValueError(
                "a window is either one-off (start and end) or weekly (weekly and time_zone)"
            )
        if one_off:
            if self.start is None or self.end is None:
                raise ValueError("a one-off window needs both start and end")
            if self.end <= self.start:
                raise ValueError("end must be after start")
            if self.end - self.start > MAX_ONE_OFF:
                raise ValueError("a one-off window lasts at most 366 days")
        elif self.weekly is None or self.time_zone is None:
            raise ValueError("a weekly window needs both weekly and time_zone")
        return self


class MaintenanceSettings(InputPart):
    """The maintenance windows of a company (part of its integration config)."""

    maintenance_windows: tuple[MaintenanceWindow, ...] = Field(
        default=(),
        description=f"At most {MAX_WINDOWS} windows; a raise inside one makes no ticket until it"
        " ends (then the alert gets its ticket if it is still raised).",
    )

    @field_validator("maintenance_windows", mode="before")
    @classmethod
    def _not_too_many(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) > MAX_WINDOWS:
            raise ValueError(f"too many windows: at most {MAX_WINDOWS} per company")
        return value

    @field_validator("maintenance_windows")
    @classmethod
    def _unique_ids(cls, windows: tuple[MaintenanceWindow, ...]) -> tuple[MaintenanceWindow, ...]:
        ids = [w.id for w in windows]
        if len(set(ids)) != len(ids):
            raise ValueError("window ids must be unique")
        return windows
