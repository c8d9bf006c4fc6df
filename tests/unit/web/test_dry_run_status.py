"""Dry run (SPEC §8) in the API and on the page: the mode field and the 24-hour summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from streamproc.contracts import TicketResult
from streamproc.contracts.outputs import Would
from streamproc.core.status import apply_results, dry_run_summary
from streamproc.web.page import render_page
from streamproc.web.shaping import normalize_status
from streamproc.web.validation import BodyError, parse_integration_body

NOW = datetime(2026, 5, 2, 12, 30, tzinfo=UTC)
BODY = {"base_url": "https://acme.halopsa.com", "client_id": "abc", "client_secret": "s3cret-x"}


def a_result(n: int, action: str, at: datetime, routed_by: str | None = None) -> TicketResult:
    return TicketResult(
        event_id=f"e{n}",
        company_id="acme",
        alert_id=f"a{n}",
        outcome="skipped",
        reason="dry_run",
        message="Dry run",
        would=Would(action=action, routed_by=routed_by),
        at=at,
    )


def test_mode_is_live_by_default_and_validated() -> None:
    assert parse_integration_body(json.dumps(BODY).encode()).mode == "live"
    body = parse_integration_body(json.dumps({**BODY, "mode": "dry_run"}).encode())
    assert body.mode == "dry_run"
    with pytest.raises(BodyError) as info:
        parse_integration_body(json.dumps({**BODY, "mode": "dry-run"}).encode())
    assert info.value.status == 422
    (field,) = info.value.body["fields"]
    assert field["field"] == "mode"
    assert "'live' or 'dry_run'" in field["message"]


def test_the_summary_counts_the_last_24_hours_only() -> None:
    results = [
        *(a_result(i, "create", NOW - timedelta(hours=2), "asset") for i in range(38)),
        *(a_result(100 + i, "create", NOW, "default_client") for i in range(3)),
        *(a_result(200 + i, "close", NOW - timedelta(minutes=5)) for i in range(5)),
        a_result(300, "create", NOW - timedelta(hours=30), "default_client"),  # too old
        a_result(301, "note", NOW - timedelta(hours=23, minutes=20)),  # within the 24 hours
    ]
    status = apply_results(None, results)
    summary = dry_run_summary(status, NOW)
    assert summary == {
        "since": "2026-05-01T13:00:00+00:00",
        "would_create": 41,
        "would_close": 5,
        "would_reopen": 0,
        "would_note": 1,
        "default_client": 3,
    }
    assert len(status["dry_run_hours"]) <= 25  # old hours are dropped as results come
    assert dry_run_summary(status, NOW + timedelta(days=2)) is None
    assert dry_run_summary(apply_results(None, []), NOW) is None


def test_the_api_status_and_the_page_say_it_in_one_sentence() -> None:
    status = apply_results(
        None,
        [a_result(1, "create", NOW, "default_client"), a_result(2, "create", NOW, "asset")],
    )
    shaped = normalize_status(json.dumps(status), now=NOW)
    assert "dry_run_hours" not in shaped
    assert shaped["dry_run"]["would_create"] == 2
    sentence = shaped["dry_run"]["sentence"]
    assert sentence == (
        "Dry run, last 24 h: would have created 2 tickets, 1 under the default client because"
        " no asset matched. Nothing was written to Halo."
    )
    html = render_page("acme", None, shaped, [], "/hook")
    assert 'id="dry-run"' in html
    assert "would have created 2 tickets" in html
    assert normalize_status(None, now=NOW)["dry_run"] is None
    assert 'id="dry-run"' not in render_page("acme", None, normalize_status(None), [], "/hook")
