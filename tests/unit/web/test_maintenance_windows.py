"""The maintenance-windows API body and answer, and saving the integration keeps its windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from streamproc.secretbox import SecretBox
from streamproc.web.integration_service import prepare_config
from streamproc.web.maintenance_windows import parse_windows, windows_json
from streamproc.web.validation import BodyError, validate_integration

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ONE_OFF = {"id": "patch", "start": "2026-06-01T11:00:00Z", "end": "2026-06-01T13:00:00Z"}
WEEKLY = {
    "id": "nightly",
    "weekly": {"days": ["mon", "tue"], "from": "22:00", "to": "06:00"},
    "time_zone": "Europe/Berlin",
    "computers": ["C02ABC"],
}


def put(payload: object) -> bytes:
    return json.dumps(payload).encode()


def refusal(raw: bytes) -> tuple[int, dict]:
    with pytest.raises(BodyError) as info:
        parse_windows(raw)
    return info.value.status, info.value.body


def test_a_valid_body_round_trips_and_says_what_is_active() -> None:
    windows = parse_windows(put({"maintenance_windows": [ONE_OFF, WEEKLY]}))
    answer = windows_json(windows, NOW)  # Monday 14:00 in Berlin: only the one-off is active
    assert answer["maintenance_windows"] == [{**ONE_OFF, "computers": []}, WEEKLY]
    assert answer["active_now"] == ["patch"]
    assert parse_windows(put({"maintenance_windows": []})) == ()


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({}, "maintenance_windows", "required"),
        ([ONE_OFF], "maintenance_windows", "required"),
        ({"maintenance_windows": "nope"}, "maintenance_windows", "tuple"),
        (
            {"maintenance_windows": [{**WEEKLY, "time_zone": "Mars/Base"}]},
            "maintenance_windows.0.time_zone",
            "unknown time zone",
        ),
        (
            {"maintenance_windows": [{**ONE_OFF, "end": ONE_OFF["start"]}]},
            "maintenance_windows.0",
            "end must be after start",
        ),
        (
            {"maintenance_windows": [{**WEEKLY, "weekly": {**WEEKLY["weekly"], "days": ["mo"]}}]},
            "maintenance_windows.0.weekly.days.0",
            "unknown day",
        ),
        (
            {"maintenance_windows": [{**WEEKLY, "alert_name_pattern": "Disk[0-9"}]},
            "maintenance_windows.0.alert_name_pattern",
            "never closed",
        ),
        (
            {"maintenance_windows": [{**ONE_OFF, "id": f"w{i}"} for i in range(51)]},
            "maintenance_windows",
            "too many windows",
        ),
    ],
)
def test_bad_bodies_get_422_with_the_field_and_a_clear_message(
    payload: object, field: str, words: str
) -> None:
    status, body = refusal(put(payload))
    assert status == 422
    assert body["error"] == "validation_failed"
    assert any(f["field"] == field and words in f["message"].lower() for f in body["fields"]), body


def test_bad_json_is_400() -> None:
    assert refusal(b"{")[0] == 400


def test_saving_the_integration_keeps_the_windows() -> None:
    box = SecretBox(SecretStr(Fernet.generate_key().decode()))
    body = validate_integration(
        {"base_url": "https://acme.halopsa.com", "client_id": "cid", "client_secret": "s"}, None
    )
    first = prepare_config("acme", body, "s", None, box, webhook_key=b"w" * 32, now=NOW).config
    assert first.maintenance_windows == ()
    windowed = first.model_copy(
        update={"maintenance_windows": parse_windows(put({"maintenance_windows": [ONE_OFF]}))}
    )
    later = NOW + timedelta(minutes=1)
    again = prepare_config("acme", body, "s", windowed, box, webhook_key=b"w" * 32, now=later)
    assert [w.id for w in again.config.maintenance_windows] == ["patch"]
