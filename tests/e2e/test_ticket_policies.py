"""Issue 15: ticket policies end to end (one worker, real broker, sandbox), one company each.

Every test shares the module's worker: each policy is a company setting, so one worker serves
them all, and each test takes seconds.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.api_client import api, body, call
from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import WorkerProcess, http_get, wait_configured

ALERTS = "watchman.alerts"


@pytest.fixture(scope="module")
def stack(
    kafka_bootstrap: str, sandbox_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    run = f"t-policies-{uuid.uuid4().hex[:8]}"
    tmp: Path = tmp_path_factory.mktemp("policies")
    worker = WorkerProcess(
        bootstrap=kafka_bootstrap,
        app_id=run,
        topic_prefix=f"{run}.",
        data_dir=tmp / "data",
        log_path=tmp / "worker.log",
        extra_env={"STREAMPROC_SWEEP_INTERVAL": "2"},
    ).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, f"{sandbox_url}/t/{run[-12:]}")
    stack.worker = worker  # type: ignore[attr-defined]
    yield stack
    worker.stop()


def configure(stack: Stack, company: str, **overrides: object) -> None:
    publish_config(stack.bootstrap, stack.prefix, halo_config(company, stack.halo_url, **overrides))
    wait_configured(stack.worker, company)  # type: ignore[attr-defined]


def actions_of(stack: Stack, ticket_id: int) -> list[dict]:
    status, body = http_get(f"{stack.halo_url}/_sandbox/tickets/{ticket_id}/actions")
    assert status == 200, body
    return body["actions"]


def raise_ticket(stack: Stack, company: str, alert: str, minute: int = 0) -> tuple[dict, int]:
    raised = alert_event(company, alert, minute=minute)
    stack.send(ALERTS, raised)
    result = stack.result_for(raised)
    assert result["outcome"] == "created", result
    return result, result["halo_ticket_id"]


def test_results_commands_and_activity_link_the_ticket(stack: Stack) -> None:
    configure(stack, "links")
    result, ticket = raise_ticket(stack, "links", "l-1")
    url = f"{stack.halo_url}/tickets?id={ticket}"
    assert result["halo_ticket_url"] == url
    [mute] = [c for c in stack.records("watchman.alert-commands") if c["company_id"] == "links"]
    assert mute["halo_ticket_url"] == url
    entries = [
        a
        for a in stack.records("watchman.activity-feed")
        if a["company_id"] == "links" and a.get("halo_ticket_id") == ticket
    ]
    assert entries
    assert all(a["halo_ticket_url"] == url for a in entries)


def test_untouched_only_leaves_a_worked_ticket_open_with_a_note(stack: Stack) -> None:
    configure(stack, "careful", close_policy="untouched_only")
    _, worked = raise_ticket(stack, "careful", "c-1")
    _, quiet = raise_ticket(stack, "careful", "c-2")
    stack.admin(f"tickets/{worked}/touch", {"kind": "time", "hours": 0.25})
    clears = [alert_event("careful", a, "cleared", minute=5) for a in ("c-1", "c-2")]
    stack.send(ALERTS, *clears)
    left, closed = (stack.result_for(c) for c in clears)
    assert (left["outcome"], left["reason"], left["halo_ticket_id"]) == (
        "skipped",
        "ticket_touched",
        worked,
    )
    assert left["halo_ticket_url"].endswith(f"/tickets?id={worked}")
    assert "time entry" in left["message"]
    assert (closed["outcome"], closed["reason"]) == ("closed", "ticket_closed")
    assert stack.ticket(worked)["status_id"] != 9
    assert stack.ticket(quiet)["status_id"] == 9
    [note] = [a for a in actions_of(stack, worked) if "cleared at" in a["note"]]
    assert note["hiddenfromuser"] is True
    assert note["note"].startswith("[streamproc] Watchman reports the alert cleared at")
    feed = [a for a in stack.records("watchman.activity-feed") if a["kind"] == "ticket_left_open"]
    assert [a["halo_ticket_id"] for a in feed] == [worked]


def test_never_only_notes(stack: Stack) -> None:
    configure(stack, "manual", close_policy="never")
    _, ticket = raise_ticket(stack, "manual", "m-1")
    cleared = alert_event("manual", "m-1", "cleared", minute=5)
    stack.send(ALERTS, cleared)
    result = stack.result_for(cleared)
    assert (result["outcome"], result["reason"]) == ("skipped", "close_policy_never")
    assert stack.ticket(ticket)["status_id"] != 9
    assert any("cleared at" in a["note"] for a in actions_of(stack, ticket))


def test_raise_within_the_reopen_window_reopens_the_ticket(stack: Stack) -> None:
    configure(stack, "flappy", reopen_window_seconds=600)
    _, ticket = raise_ticket(stack, "flappy", "f-1")
    cleared = alert_event("flappy", "f-1", "cleared", minute=1)
    stack.send(ALERTS, cleared)
    assert stack.result_for(cleared)["reason"] == "ticket_closed"
    assert stack.ticket(ticket)["status_id"] == 9
    again = alert_event("flappy", "f-1", minute=2)
    stack.send(ALERTS, again)
    result = stack.result_for(again)
    assert (result["outcome"], result["reason"], result["halo_ticket_id"]) == (
        "created",
        "ticket_reopened",
        ticket,
    )
    reopened = stack.ticket(ticket)
    assert (reopened["status_id"], reopened["hasbeenclosed"]) == (1, False)
    assert any("reopened" in a["note"] for a in actions_of(stack, ticket))
    mutes = [
        c
        for c in stack.records("watchman.alert-commands")
        if c["alert_id"] == "f-1" and c["command"] == "mute"
    ]
    assert len(mutes) == 2  # muted again with the reopen

    # sweeps (every 2 s) must not take the reopened ticket for a closed one: no unmute
    time.sleep(5)
    assert not [
        c
        for c in stack.records("watchman.alert-commands")
        if c["alert_id"] == "f-1" and c["command"] == "unmute"
    ]


def test_a_ticket_closed_as_wont_fix_is_not_reopened(stack: Stack) -> None:
    configure(stack, "wontfix", reopen_window_seconds=600, no_reopen_status_ids=[9])
    _, ticket = raise_ticket(stack, "wontfix", "w-1")
    stack.admin(f"tickets/{ticket}/close", {"note": "won't fix: retired machine"})
    cleared = alert_event("wontfix", "w-1", "cleared", minute=1)
    stack.send(ALERTS, cleared)
    stack.result_for(cleared)
    again = alert_event("wontfix", "w-1", minute=2)
    stack.send(ALERTS, again)
    result = stack.result_for(again)
    assert result["outcome"] == "created"
    assert result["halo_ticket_id"] != ticket
    assert result["reason"] == "ticket_created"
    assert stack.ticket(ticket)["status_id"] == 9


def test_repeat_raises_add_at_most_one_note_per_interval(stack: Stack) -> None:
    configure(stack, "noisy", repeat_note_interval_seconds=3)
    _, ticket = raise_ticket(stack, "noisy", "n-1")
    time.sleep(3)  # an interval after the create
    repeats = [alert_event("noisy", "n-1", "updated", minute=m) for m in (1, 2, 3)]
    stack.send(ALERTS, *repeats)
    reasons = [stack.result_for(r)["reason"] for r in repeats]
    assert reasons == ["occurrence_noted", "already_open", "already_open"]
    time.sleep(3)
    last = alert_event("noisy", "n-1", "updated", minute=4)
    stack.send(ALERTS, last)
    result = stack.result_for(last)
    assert (result["reason"], result["halo_ticket_id"]) == ("occurrence_noted", ticket)
    notes = [a["note"] for a in actions_of(stack, ticket) if "re-triggered" in a["note"]]
    assert len(notes) == 2
    assert "re-triggered the alert once" in notes[0]
    assert "3 times" in notes[1]  # the two skipped repeats and this one
    assert all(a["hiddenfromuser"] for a in actions_of(stack, ticket))


def test_priority_matrix_is_validated_at_save_and_picks_the_ticket_priority(stack: Stack) -> None:
    worker = stack.worker  # type: ignore[attr-defined]
    url = api(worker, "matrix")
    bad = body(
        stack.halo_url,
        priority_matrix=[
            {"severity": "critical", "priority_id": 1},
            {"alert_name_pattern": "Backup*", "priority_id": 7},
        ],
    )
    reply = call("PUT", url, bad)
    assert reply.status == 422, reply.text
    assert reply.body["field"] == "priority_matrix[1].priority_id"
    assert "Entry 2" in reply.body["message"]
    no_type = body(stack.halo_url, priority_matrix=[{"severity": "info", "tickettype_id": 99}])
    reply = call("PUT", url, no_type)
    assert (reply.status, reply.body["field"]) == (422, "priority_matrix[0].tickettype_id")

    good = body(
        stack.halo_url,
        default_tickettype_id=1,
        default_priority_id=3,
        default_client_id=13,
        default_site_id=24,
        priority_matrix=[
            {"severity": "critical", "alert_name_pattern": "Backup*", "tickettype_id": 2},
            {"severity": "critical", "priority_id": 1},
        ],
    )
    reply = call("PUT", url, good)
    assert reply.status == 200, reply.text
    assert reply.body["config"]["priority_matrix"][1] == {
        "severity": "critical",
        "alert_name_pattern": None,
        "priority_id": 1,
        "tickettype_id": None,
    }
    wait_configured(worker, "matrix")
    disk = alert_event("matrix", "p-1")  # severity critical, "Disk almost full"
    backup = alert_event("matrix", "p-2", name="Backup failed")
    stack.send(ALERTS, disk, backup)
    disk_ticket = stack.ticket(stack.result_for(disk)["halo_ticket_id"])
    backup_result = stack.result_for(backup)
    backup_ticket = stack.ticket(backup_result["halo_ticket_id"])
    assert (disk_ticket["priority_id"], disk_ticket["tickettype_id"]) == (1, 1)
    assert (backup_ticket["priority_id"], backup_ticket["tickettype_id"]) == (3, 2)
    created = [
        a
        for a in stack.records("watchman.activity-feed")
        if a["kind"] == "ticket_created" and a["alert_id"] == "p-2"
    ]
    assert "priority matrix entry 1" in created[0]["message"]


def test_flap_hold_down(stack: Stack) -> None:
    configure(stack, "flaky", hold_down_seconds=3)
    # raised and cleared within the hold-down: no ticket, both events say so
    up, down = alert_event("flaky", "h-1"), alert_event("flaky", "h-1", "cleared", minute=1)
    stack.send(ALERTS, up, down)
    assert stack.result_for(up)["reason"] == "flapping"
    assert stack.result_for(down)["reason"] == "flapping"
    # an alert that stays raised gets its ticket once the hold-down ends, not later
    stays = alert_event("flaky", "h-2")
    sent = time.monotonic()
    stack.send(ALERTS, stays)
    result = stack.result_for(stays)
    waited = time.monotonic() - sent
    assert result["outcome"] == "created", result
    assert 3 <= waited < 8, waited
    ticket = result["halo_ticket_id"]
    # cleared and raised again within the hold-down: the ticket is neither closed nor reopened
    clear, again = (
        alert_event("flaky", "h-2", "cleared", minute=2),
        alert_event("flaky", "h-2", minute=3),
    )
    stack.send(ALERTS, clear, again)
    assert stack.result_for(clear)["reason"] == "flap_kept_open"
    assert stack.result_for(again)["reason"] == "already_open"
    time.sleep(4)
    assert stack.ticket(ticket)["status_id"] != 9
    flaky = [r for r in stack.results() if r["company_id"] == "flaky"]
    assert not [r for r in flaky if r["outcome"] == "closed"]
    assert [
        a["alert_id"] for a in stack.records("watchman.activity-feed") if a["kind"] == "flapping"
    ] == ["h-1", "h-2"]


def test_a_held_raise_survives_a_worker_restart(make_worker, kafka_bootstrap, halo_url) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.worker = worker  # type: ignore[attr-defined]
    configure(stack, "held", hold_down_seconds=4)
    raised = alert_event("held", "x-1")
    stack.send(ALERTS, raised)
    # the raise is held (nothing yet), then the worker dies before the hold-down ends
    time.sleep(1.5)
    assert not [r for r in stack.results() if r["event_id"] == raised["event_id"]]
    worker.stop(signal.SIGKILL)
    worker.start()
    result = stack.result_for(raised, timeout=60)
    assert result["outcome"] == "created", result
    assert len(stack.tickets()) == 1
