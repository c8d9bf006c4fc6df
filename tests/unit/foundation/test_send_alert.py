"""`streamproc send-alert`: the event it sends is the contract's, and bad input is said here."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from streamproc.contracts import AlertEvent, decode_event, encode
from streamproc.send_alert import build_alert, send_alert


def test_the_alert_sent_is_a_valid_watchman_event_for_the_company() -> None:
    alert = build_alert(
        company="acme",
        serial="C02ABC123XYZ",
        alert_id="a-9",
        name="Disk almost full",
        event="raised",
        computer="Alice's Mac",
        severity="critical",
    )
    again = decode_event(AlertEvent, encode(alert))  # what the worker's guard does
    assert (again.company_id, again.alert.id, again.event_type) == ("acme", "a-9", "raised")
    assert again.computer.serial_number == "C02ABC123XYZ"
    assert again.event_id.startswith("cli-")


def test_a_bad_value_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="company_id"):
        build_alert(
            company="",
            serial="X",
            alert_id="a",
            name="n",
            event="raised",
            computer="c",
            severity="critical",
        )
    result = CliRunner().invoke(send_alert, ["--company", "", "--serial", "X"])
    assert result.exit_code != 0
    assert "company_id" in result.output
