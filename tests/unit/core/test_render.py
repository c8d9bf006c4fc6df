"""Ticket summary and HTML details: content, escaping, truncation, determinism."""

from __future__ import annotations

from core_builders import a_warning, an_event

from streamproc.contracts import AlertEvent
from streamproc.core import alert_details_html, alert_summary, warning_details_html, warning_summary
from streamproc.core.render import truncate


def evil_event() -> AlertEvent:
    event = an_event(
        serial_number="C02<b>",
        os_version="14.4",
        reference={"email": "ann@acme.test", "user": "Ann & Bob", "site": "HQ", "asset": "T-1"},
    )
    alert = event.alert.model_copy(
        update={"name": "<script>alert(1)</script>", "summary": "line 1\n\nline <2>"}
    )
    return event.model_copy(update={"alert": alert})


def test_summary_is_alert_on_computer() -> None:
    assert alert_summary(an_event()) == "Disk space low on MacBook"


def test_summary_truncates_long_names_by_characters() -> None:
    event = an_event()
    long_alert = event.alert.model_copy(update={"name": "é" * 400})
    summary = alert_summary(event.model_copy(update={"alert": long_alert}))
    assert len(summary) == 255
    assert summary.endswith("…")


def test_summary_is_one_line() -> None:
    event = an_event()
    alert = event.alert.model_copy(update={"name": "Disk\nspace\t low"})
    assert alert_summary(event.model_copy(update={"alert": alert})) == "Disk space low on MacBook"


def test_details_include_everything_escaped() -> None:
    html = alert_details_html(evil_event())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for text in (
        "high",
        "c-1",
        "MacBook",
        "mac",
        "14.4",
        "C02&lt;b&gt;",
        "ann@acme.test",
        "Ann &amp; Bob",
        "HQ",
        "T-1",
        "<p>line 1</p><p>line &lt;2&gt;</p>",
    ):
        assert text in html


def test_details_leave_out_missing_fields_and_are_deterministic() -> None:
    html = alert_details_html(an_event())
    assert "Serial number" not in html
    assert "Reference email" not in html
    assert html == alert_details_html(an_event())


def test_warning_content() -> None:
    warning = a_warning(title="<Fan> noise", created_by="Ann <ann@x>")
    assert warning_summary(warning) == "<Fan> noise on MacBook"
    html = warning_details_html(warning)
    assert "&lt;Fan&gt; noise" in html
    assert "Ann &lt;ann@x&gt;" in html
    assert "<p>Loud</p><p>very loud</p>" in html
    assert "MacBook" in html


def test_truncate() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcd", 3) == "ab…"
