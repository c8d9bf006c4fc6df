"""Issue 4: the alert → ticket pipeline, end to end (worker subprocess, real broker, sandbox)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event, warning_event
from tests.support.worker import wait_configured, wait_for

ALERTS = "watchman.alerts"


@pytest.fixture
def stack(make_worker, kafka_bootstrap, halo_url) -> Stack:
    worker = make_worker("w1", extra_env={"STREAMPROC_SWEEP_INTERVAL": "2"}).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.worker = worker  # type: ignore[attr-defined]
    return stack


def configure(stack: Stack, company: str, **overrides: object) -> None:
    publish_config(stack.bootstrap, stack.prefix, halo_config(company, stack.halo_url, **overrides))
    wait_configured(stack.worker, company)  # type: ignore[attr-defined]


def test_actionable_alert_makes_exactly_one_ticket_and_a_mute(stack: Stack) -> None:
    configure(stack, "acme")
    raised = alert_event("acme", "a-1")
    stack.send(ALERTS, raised)
    result = stack.result_for(raised)
    assert result["outcome"] == "created", result
    ticket = stack.ticket(result["halo_ticket_id"])
    # serial C02ABC123XYZ → asset 41 (Acme HQ, user Alice)
    assert (ticket["client_id"], ticket["site_id"], ticket["user_id"]) == (11, 21, 31)
    assert [a["id"] for a in ticket["assets"]] == [41]
    assert (ticket["tickettype_id"], ticket["priority_id"]) == (1, 3)
    assert ticket["summary"] == "Disk almost full on Alice's MacBook Pro"
    commands = stack.records("watchman.alert-commands")
    assert [(c["command"], c["alert_id"], c["halo_ticket_id"]) for c in commands] == [
        ("mute", "a-1", ticket["id"])
    ]

    again = alert_event("acme", "a-1", "updated", minute=1)
    stack.send(ALERTS, again)
    assert stack.result_for(again)["reason"] == "already_open"
    assert len(stack.tickets()) == 1


def test_hidden_and_user_muted_alerts_are_skipped_with_reason(stack: Stack) -> None:
    configure(stack, "acme")
    hidden = alert_event("acme", "a-hidden", visible=False)
    muted = alert_event("acme", "a-muted", muted=True)
    stack.send(ALERTS, hidden, muted)
    assert stack.result_for(hidden)["reason"] == "not_visible"
    assert stack.result_for(muted)["reason"] == "muted"
    assert stack.tickets() == []


def test_cleared_alert_closes_its_ticket(stack: Stack) -> None:
    configure(stack, "acme")
    raised, cleared = alert_event("acme", "a-2"), alert_event("acme", "a-2", "cleared", minute=5)
    stack.send(ALERTS, raised)
    ticket_id = stack.result_for(raised)["halo_ticket_id"]
    stack.send(ALERTS, cleared)
    result = stack.result_for(cleared)
    assert (result["outcome"], result["halo_ticket_id"]) == ("closed", ticket_id)
    ticket = stack.ticket(ticket_id)
    assert ticket["hasbeenclosed"] is True
    assert ticket["status_id"] == 9


def test_clear_after_technician_closed_makes_no_close_call(stack: Stack) -> None:
    configure(stack, "acme", use_reference_email=False)
    raised = alert_event("acme", "a-3")
    stack.send(ALERTS, raised)
    ticket_id = stack.result_for(raised)["halo_ticket_id"]
    stack.admin(f"tickets/{ticket_id}/close", {"note": "fixed by tech"})
    cleared = alert_event("acme", "a-3", "resolved", minute=3)
    stack.send(ALERTS, cleared)
    result = stack.result_for(cleared)
    assert (result["outcome"], result["reason"]) in {
        ("skipped", "already_closed"),
        ("skipped", "no_ticket"),
    }, result
    posts = [e for e in stack.journal(method="POST") if "ticket" in e["path"].lower()]
    assert len(posts) == 1, f"only the create may POST to Tickets: {posts}"


def test_technician_close_unmutes_within_a_sweep(stack: Stack) -> None:
    configure(stack, "acme")
    raised = alert_event("acme", "a-4")
    stack.send(ALERTS, raised)
    ticket_id = stack.result_for(raised)["halo_ticket_id"]
    stack.admin(f"tickets/{ticket_id}/close", {})

    def unmuted() -> bool:
        return any(c["command"] == "unmute" for c in stack.records("watchman.alert-commands"))

    wait_for(unmuted, 20, "unmute command after the technician closed the ticket")
    [unmute] = [c for c in stack.records("watchman.alert-commands") if c["command"] == "unmute"]
    assert (unmute["alert_id"], unmute["halo_ticket_id"]) == ("a-4", ticket_id)


def test_unknown_serial_and_renamed_field_go_to_the_default_client(stack: Stack) -> None:
    configure(stack, "acme")
    unknown = alert_event("acme", "a-5", serial="NOSUCHSERIAL")
    renamed = alert_event("acme", "a-6", serial="C02RENAMED01")
    stack.send(ALERTS, unknown, renamed)
    for event in (unknown, renamed):
        result = stack.result_for(event)
        assert result["outcome"] == "created", result
        ticket = stack.ticket(result["halo_ticket_id"])
        assert (ticket["client_id"], ticket["site_id"]) == (13, 24)
        assert ticket["assets"] == []
    activity = stack.records("watchman.activity-feed")
    broken = [a for a in activity if a["kind"] == "serial_matching_broken"]
    assert broken, activity
    assert "Serial Number" in broken[0]["message"]
    assert broken[0]["level"] == "warning"


def test_reference_email_sets_the_requester(stack: Stack) -> None:
    configure(stack, "acme", use_reference_email=True)
    event = alert_event("acme", "a-7", serial=None, email="Carol@Globex.example")
    stack.send(ALERTS, event)
    ticket = stack.ticket(stack.result_for(event)["halo_ticket_id"])
    assert (ticket["user_id"], ticket["client_id"], ticket["site_id"]) == (33, 12, 23)


def test_manual_warning_becomes_a_ticket(stack: Stack) -> None:
    configure(stack, "acme")
    warning = warning_event("acme", "w-1")
    stack.send("watchman.manual-warnings", warning)
    result = stack.result_for(warning)
    assert (result["outcome"], result["warning_id"]) == ("created", "w-1")
    ticket = stack.ticket(result["halo_ticket_id"])
    assert ticket["summary"] == "Replace battery on Front desk PC"
    assert [a["id"] for a in ticket["assets"]] == [42]

    stack.send("watchman.manual-warnings", warning)  # redelivered: no second result or ticket
    marker = warning_event("acme", "w-2")
    stack.send("watchman.manual-warnings", marker)
    stack.result_for(marker)
    assert [r["event_id"] for r in stack.results()].count(warning["event_id"]) == 1
    assert len(stack.tickets()) == 2


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"client_id": "demo-client-wrong"}, "credentials_rejected"),
        ({"client_id": "readonly-client", "secret": "readonly-secret"}, "permission_denied"),
        ({"default_tickettype_id": 3}, "validation_failed"),
    ],
    ids=["401-invalid-client", "403", "400"],
)
def test_halo_errors_fail_visibly_while_other_companies_continue(
    stack: Stack, overrides: dict, reason: str
) -> None:
    from cryptography.fernet import Fernet

    from tests.support.worker import SECRET_KEY

    secret = overrides.pop("secret", None)
    if secret:
        overrides["client_secret_encrypted"] = Fernet(SECRET_KEY).encrypt(secret.encode()).decode()
    configure(stack, "broken", **overrides)
    configure(stack, "healthy")
    bad, good = alert_event("broken", "a-8"), alert_event("healthy", "a-9")
    stack.send(ALERTS, bad, good)
    failed = stack.result_for(bad)
    assert (failed["outcome"], failed["reason"]) == ("failed", reason), failed
    assert stack.result_for(good)["outcome"] == "created"
    errors = [a for a in stack.records("watchman.activity-feed") if a["level"] == "error"]
    assert errors
    assert errors[0]["company_id"] == "broken"
    from tests.support.worker import ADMIN_TOKEN, http_get

    worker = stack.worker  # type: ignore[attr-defined]
    status, body = http_get(f"{worker.url}/api/v1/companies/broken/stats", ADMIN_TOKEN)
    assert status == 200
    assert body["stats"]["state"] == "error"
    assert body["stats"]["last_error"]["reason"] == reason


def test_bad_records_go_to_the_dead_letter_topic_and_processing_continues(stack: Stack) -> None:
    configure(stack, "acme")
    invalid = alert_event("acme", "a-10")
    invalid["alert"]["visible"] = "perhaps"
    stack.send(ALERTS, b"{not json", key="acme")
    stack.send(ALERTS, invalid)
    good = alert_event("acme", "a-11")
    stack.send(ALERTS, good)
    assert stack.result_for(good)["outcome"] == "created"
    letters = stack.records("streamproc.dead-letter")
    kinds = sorted(letter["error_kind"] for letter in letters)
    assert kinds == ["invalid_json", "schema_invalid"], letters
    schema = next(letter for letter in letters if letter["error_kind"] == "schema_invalid")
    assert "alert.visible" in schema["error"]
    assert schema["source_topic"].endswith("watchman.alerts")
