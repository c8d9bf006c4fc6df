"""The maintenance window contract: what a window may say, and the error for what it may not."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from streamproc.contracts.windows import MAX_WINDOWS, MaintenanceSettings

WEEKLY = {
    "id": "w",
    "weekly": {"days": ["mon"], "from": "22:00", "to": "06:00"},
    "time_zone": "UTC",
}
ONE_OFF = {"id": "o", "start": "2026-06-01T10:00:00+02:00", "end": "2026-06-01T12:00:00+02:00"}


def errors(*windows: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        MaintenanceSettings.model_validate({"maintenance_windows": list(windows)})
    return [
        (".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, "))
        for e in info.value.errors()
    ]


def test_valid_windows_round_trip_with_from_on_the_wire() -> None:
    weekly = {
        **WEEKLY,
        "weekly": {"days": ["Sunday", "mon", "sun"], "from": "22:00", "to": "06:00"},
    }
    settings = MaintenanceSettings.model_validate({"maintenance_windows": [weekly, ONE_OFF]})
    dumped = settings.model_dump(mode="json")["maintenance_windows"]
    assert dumped[0]["weekly"] == {"days": ["mon", "sun"], "from": "22:00", "to": "06:00"}
    assert MaintenanceSettings.model_validate_json(settings.model_dump_json()) == settings
    assert MaintenanceSettings().maintenance_windows == ()


@pytest.mark.parametrize(
    ("window", "field", "message"),
    [
        ({**WEEKLY, "time_zone": "Mars/Olympus"}, "time_zone", "unknown time zone"),
        ({**WEEKLY, "time_zone": "../../etc/passwd"}, "time_zone", "unknown time zone"),
        ({**WEEKLY, "time_zone": "Europe"}, "time_zone", "unknown time zone"),
        ({**ONE_OFF, "end": "2026-06-01T09:00:00+02:00"}, "", "end must be after start"),
        ({**ONE_OFF, "end": "2026-06-01T10:00:00+02:00"}, "", "end must be after start"),
        ({**ONE_OFF, "start": "2026-06-01T10:00:00"}, "start", "timezone"),
        ({**ONE_OFF, "end": "2028-06-01T10:00:00Z"}, "", "at most 366 days"),
        ({"id": "x", "start": ONE_OFF["start"]}, "", "needs both start and end"),
        (
            {**WEEKLY, "weekly": {"days": ["funday"], "from": "01:00", "to": "02:00"}},
            "weekly.days.0",
            "unknown day",
        ),
        (
            {**WEEKLY, "weekly": {"days": [], "from": "01:00", "to": "02:00"}},
            "weekly.days",
            "at least one day",
        ),
        (
            {**WEEKLY, "weekly": {"days": ["mon"], "from": "24:00", "to": "02:00"}},
            "weekly.from",
            "HH:MM",
        ),
        (
            {**WEEKLY, "weekly": {"days": ["mon"], "from": "1:00", "to": "02:00"}},
            "weekly.from",
            "HH:MM",
        ),
        ({**WEEKLY, "alert_name_pattern": "Disk[1"}, "alert_name_pattern", "never closed"),
        ({**WEEKLY, "alert_name_pattern": "  "}, "alert_name_pattern", "blank"),
        ({**WEEKLY, "alert_name_pattern": "a\nb"}, "alert_name_pattern", "control characters"),
        ({**WEEKLY, **ONE_OFF}, "", "either one-off"),
        ({"id": "x"}, "", "either one-off"),
        ({**WEEKLY, "time_zone": None}, "", "needs both weekly and time_zone"),
    ],
)
def test_bad_windows_get_a_message_naming_the_field(
    window: dict[str, Any], field: str, message: str
) -> None:
    found = errors(window)
    where = "maintenance_windows.0" + (f".{field}" if field else "")
    assert any(loc == where and message in text for loc, text in found), found


def test_too_many_windows_and_duplicate_ids_are_refused() -> None:
    many = [{**ONE_OFF, "id": f"w{i}"} for i in range(MAX_WINDOWS + 1)]
    assert errors(*many) == [
        ("maintenance_windows", f"too many windows: at most {MAX_WINDOWS} per company")
    ]
    assert errors(ONE_OFF, ONE_OFF) == [("maintenance_windows", "window ids must be unique")]
