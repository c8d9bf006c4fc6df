"""Topic contracts: round trips, unknown fields, clear errors, timestamps, registry."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

import streamproc.contracts as contracts
from streamproc.contracts import (
    TOPICS,
    ActivityEntry,
    AlertCommand,
    AlertEvent,
    ContractError,
    IntegrationConfig,
    ManualWarning,
    TicketResult,
    dead_letter,
    decode_event,
    encode,
)

AT = "2024-05-01T12:00:00Z"


def alert_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event_id": "ev-1",
        "event_type": "raised",
        "occurred_at": AT,
        "company_id": "acme",
        "alert": {
            "id": "a-1",
            "name": "Disk space low",
            "summary": "Only 2 GB free",
            "severity": "high",
            "visible": True,
            "muted": False,
        },
        "computer": {"watchman_id": "c-1", "name": "MacBook", "platform": "mac"},
    }
    payload.update(overrides)
    return payload


def warning_payload() -> dict[str, Any]:
    return {
        "event_id": "ev-w",
        "occurred_at": AT,
        "company_id": "acme",
        "warning": {"id": "w-1", "title": "Fan noise", "body": "Loud", "created_by": "Ann"},
        "computer": {"watchman_id": "c-1", "name": "MacBook", "platform": "mac"},
    }


def config_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "company_id": "acme",
        "enabled": True,
        "base_url": "https://acme.halopsa.com",
        "client_id": "cid",
        "client_secret_encrypted": "gAAAAAB-token",
        "updated_at": AT,
    }
    payload.update(overrides)
    return payload


def raw(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def test_alert_event_decodes_with_defaults() -> None:
    event = decode_event(AlertEvent, raw(alert_payload()))
    assert event.schema_version == 1
    assert event.computer.reference.email is None
    assert event.computer.serial_number is None
    assert event.occurred_at == datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (AlertEvent, alert_payload()),
        (ManualWarning, warning_payload()),
        (IntegrationConfig, config_payload()),
    ],
)
def test_round_trip(model: Any, payload: dict[str, Any]) -> None:
    first = decode_event(model, raw(payload))
    assert decode_event(model, encode(first)) == first


def test_encode_is_compact_utf8_rfc3339() -> None:
    event = decode_event(AlertEvent, raw(alert_payload()))
    data = encode(event)
    assert b" " not in data.replace(b"Disk space low", b"").replace(b"Only 2 GB free", b"")
    assert json.loads(data)["occurred_at"] == "2024-05-01T12:00:00Z"


def test_unknown_fields_on_inputs_are_ignored() -> None:
    payload = alert_payload(extra_top=1)
    payload["alert"]["extra_nested"] = {"x": 1}
    payload["computer"]["reference"] = {"email": "a@b.c", "color": "red"}
    event = decode_event(AlertEvent, raw(payload))
    assert event.computer.reference.email == "a@b.c"
    assert "extra_top" not in event.model_dump()
    assert decode_event(IntegrationConfig, raw(config_payload(new_field=True))).enabled


def test_unknown_fields_on_outputs_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        AlertCommand.model_validate(
            {
                "command": "mute",
                "company_id": "acme",
                "alert_id": "a",
                "halo_ticket_id": 1,
                "reason": "ticket_open",
                "at": AT,
                "surprise": 1,
            }
        )


def test_ill_typed_field_gives_path_and_problem() -> None:
    payload = alert_payload()
    payload["alert"]["visible"] = "perhaps"
    with pytest.raises(ContractError) as info:
        decode_event(AlertEvent, raw(payload))
    assert info.value.kind == "schema_invalid"
    assert info.value.message.startswith("alert.visible: Input should be a valid boolean")


def test_missing_fields_are_all_listed() -> None:
    payload = alert_payload()
    del payload["event_id"]
    del payload["computer"]["name"]
    with pytest.raises(ContractError) as info:
        decode_event(AlertEvent, raw(payload))
    assert info.value.message == "event_id: Field required; computer.name: Field required"


def test_error_list_is_capped() -> None:
    payload = {"computer": {"reference": {f"k{i}": i for i in range(5)}}, "alert": {}}
    payload["alert"] = {"id": ["x"] * 3, "name": 1, "summary": 2, "severity": 3}
    with pytest.raises(ContractError) as info:
        decode_event(AlertEvent, raw(payload))
    assert info.value.kind == "schema_invalid"
    assert len(info.value.message) <= 4000


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ContractError, match="occurred_at: Input should have timezone info"):
        decode_event(AlertEvent, raw(alert_payload(occurred_at="2024-05-01T12:00:00")))


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (("event_id",), "", "event_id: String should have at least 1 character"),
        (("alert", "name"), "x" * 1001, "alert.name: String should have at most 1000"),
        (("alert", "summary"), "x" * 100_001, "alert.summary: String should have at most 100000"),
        (("event_type",), "exploded", "event_type: Input should be 'raised'"),
    ],
)
def test_absurd_values_rejected(path: tuple[str, ...], value: Any, problem: str) -> None:
    payload = alert_payload()
    target = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ContractError, match=problem):
        decode_event(AlertEvent, raw(payload))


@pytest.mark.parametrize(
    ("data", "kind", "text"),
    [
        (b"{not json", "invalid_json", "not valid JSON"),
        (b"\xff\xfe", "invalid_json", "not UTF-8"),
        (b'{"a": NaN}', "invalid_json", "NaN is not valid JSON"),
        (b"[1, 2]", "not_an_object", "got array"),
        (b"null", "not_an_object", "got null"),
        (b'"text"', "not_an_object", "got string"),
        (None, "not_an_object", "tombstone"),
    ],
)
def test_decode_error_kinds(data: bytes | None, kind: str, text: str) -> None:
    with pytest.raises(ContractError) as info:
        decode_event(AlertEvent, data)
    assert info.value.kind == kind
    assert text in info.value.message


def test_nan_is_rejected_even_in_an_ignored_field() -> None:
    data = raw(alert_payload())[:-1] + b', "extra": NaN}'
    with pytest.raises(ContractError) as info:
        decode_event(AlertEvent, data)
    assert info.value.kind == "invalid_json"


@pytest.mark.parametrize(
    "payload",
    [
        alert_payload(),
        {**alert_payload(), "unknown": {"nested": [1, 2.5, None]}, "note": "NaN in text"},
        {**alert_payload(), "alert": {**alert_payload()["alert"], "summary": "caf\u00e9 \u2603"}},
    ],
)
def test_the_one_pass_decode_equals_parse_then_validate(payload: dict[str, Any]) -> None:
    data = raw(payload)
    assert decode_event(AlertEvent, data) == AlertEvent.model_validate(json.loads(data))


def test_config_rejects_non_http_url_and_defaults() -> None:
    config = decode_event(IntegrationConfig, raw(config_payload()))
    assert (config.serial_field_name, config.close_status_id) == ("Serial Number", 9)
    assert config.use_reference_email is False
    with pytest.raises(ContractError, match="base_url"):
        decode_event(IntegrationConfig, raw(config_payload(base_url="ftp://x.example")))


def test_ticket_result_needs_exactly_one_subject() -> None:
    fields = {
        "event_id": "e",
        "company_id": "c",
        "outcome": "skipped",
        "reason": "muted",
        "message": "m",
        "at": AT,
    }
    with pytest.raises(ValidationError, match="exactly one of alert_id and warning_id"):
        TicketResult.model_validate(fields)
    with pytest.raises(ValidationError, match="exactly one"):
        TicketResult.model_validate({**fields, "alert_id": "a", "warning_id": "w"})
    assert TicketResult.model_validate({**fields, "alert_id": "a"}).alert_id == "a"


def test_kind_must_be_a_machine_word() -> None:
    with pytest.raises(ValidationError, match="kind"):
        ActivityEntry.model_validate(
            {
                "id": "1",
                "company_id": "c",
                "at": AT,
                "level": "info",
                "kind": "Bad Kind!",
                "message": "m",
            }
        )


def test_dead_letter_keeps_raw_bytes_and_caps_preview() -> None:
    value = b"\xff" + b"x" * 20_000
    letter = dead_letter(
        source_topic="watchman.alerts",
        partition=3,
        offset=42,
        key=b"acme",
        value=value,
        error="alert.visible: Input should be a valid boolean",
        error_kind="schema_invalid",
        at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert letter.key == "acme"
    assert letter.value is not None
    assert letter.value.startswith("\ufffd")
    assert len(letter.value) == 10_000
    assert base64.b64decode(letter.value_b64 or "") == value
    assert json.loads(encode(letter))["error_kind"] == "schema_invalid"


def test_dead_letter_without_key() -> None:
    letter = dead_letter(
        source_topic="t",
        partition=0,
        offset=0,
        key=None,
        value=None,
        error="e",
        error_kind="processing_error",
        at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    assert (letter.key, letter.key_b64, letter.value, letter.value_b64) == (None,) * 4


def test_topics_are_exactly_the_spec_topics() -> None:
    assert set(TOPICS) == {
        "watchman.alerts",
        "watchman.manual-warnings",
        "halopsa.integration-config",
        "halopsa.ticket-results",
        "watchman.alert-commands",
        "watchman.activity-feed",
        "streamproc.dead-letter",
    }
    assert [n for n, s in TOPICS.items() if s.compacted] == ["halopsa.integration-config"]
    assert TOPICS["watchman.alerts"].value_model is AlertEvent
    assert {s.direction for s in TOPICS.values()} == {"in", "out", "internal"}


def test_public_api_is_exported() -> None:
    assert len(set(contracts.__all__)) == len(contracts.__all__)
    for name in contracts.__all__:
        assert hasattr(contracts, name)


def test_models_are_frozen() -> None:
    event = decode_event(AlertEvent, raw(alert_payload()))
    with pytest.raises(ValidationError, match="frozen"):
        event.event_id = "other"  # type: ignore[misc]
