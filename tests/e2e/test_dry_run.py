"""Issue 16.1: dry run end to end (worker subprocess, real broker, Halo sandbox).

A company in ``mode: dry_run`` gets ``skipped/dry_run`` results saying what live mode would have
done (routing read from the sandbox through the instance owner), and nothing is written to Halo
(the sandbox's journal shows only reads) and no mute or unmute is sent. Back in live mode the
next raise gets a real ticket; nothing of the dry-run period is replayed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from streamproc.halo_sandbox.seed import ASSET_ACME_LAPTOP
from tests.e2e.api_client import api, body, call
from tests.support.scenario import Stack, alert_event, warning_event

ALERTS = "watchman.alerts"
COMMANDS = "watchman.alert-commands"
WARNINGS = "watchman.manual-warnings"
FEED = "watchman.activity-feed"


def test_dry_run_reads_halo_writes_nothing_and_live_resumes_without_replay(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    url = api(worker, "dry")
    t0 = datetime.now(UTC)

    # Live first: a real ticket, whose alert clears during the dry run.
    assert call("PUT", url, body(halo_url)).status == 200
    real = alert_event("dry", "real-1", serial="NOSUCHSERIAL1", at=t0)
    stack.send(ALERTS, real)
    ticket_id = stack.result_for(real)["halo_ticket_id"]
    assert ticket_id

    reply = call("PUT", url, body(halo_url, mode="dry-run"))
    assert reply.status == 422
    assert reply.body["fields"][0]["field"] == "mode"
    reply = call("PUT", url, body(halo_url, mode="dry_run"))
    assert reply.status == 200, reply.text
    assert reply.body["config"]["mode"] == "dry_run"
    seq = max(e["seq"] for e in stack.journal())
    commands_before = len(stack.records(COMMANDS))

    matched = alert_event("dry", "d-1", at=t0 + timedelta(seconds=1))  # serial of asset 41
    unmatched = alert_event("dry", "d-2", serial="NOSUCHSERIAL2", at=t0 + timedelta(seconds=1))
    again = alert_event("dry", "d-1", at=t0 + timedelta(seconds=2))
    gone = alert_event("dry", "d-2", "cleared", at=t0 + timedelta(seconds=3))
    real_gone = alert_event("dry", "real-1", "cleared", at=t0 + timedelta(seconds=3))
    warning = warning_event("dry", "w-1")  # on the computer of asset 42
    began = time.monotonic()
    stack.send(ALERTS, matched, unmatched, again, gone, real_gone)
    stack.send(WARNINGS, warning)

    first = stack.result_for(matched)
    assert (first["outcome"], first["reason"]) == ("skipped", "dry_run")
    assert first["halo_ticket_id"] is None
    assert first["would"]["action"] == "create"
    assert first["would"]["asset_id"] == ASSET_ACME_LAPTOP
    assert first["would"]["routed_by"] == "asset"
    assert (first["would"]["client_id"], first["would"]["site_id"]) == (11, 21)
    assert first["would"]["user_id"] == 31
    assert (first["would"]["priority_id"], first["would"]["tickettype_id"]) == (3, 1)
    second = stack.result_for(unmatched)
    assert second["would"] == {
        "action": "create",
        "client_id": 13,
        "site_id": 24,
        "asset_id": None,
        "user_id": None,
        "priority_id": 3,
        "tickettype_id": 1,
        "routed_by": "default_client",
    }
    repeat = stack.result_for(again)
    assert (repeat["reason"], repeat["would"]) == ("dry_run", None)
    cleared = stack.result_for(gone)
    assert (cleared["reason"], cleared["would"]) == ("no_ticket", None)
    assert "nothing to close" in cleared["message"]
    closing = stack.result_for(real_gone)
    assert (closing["reason"], closing["would"]["action"]) == ("dry_run", "close")
    assert closing["halo_ticket_id"] == ticket_id
    manual = stack.result_for(warning)
    assert (manual["reason"], manual["would"]["action"]) == ("dry_run", "create")
    assert (manual["would"]["asset_id"], manual["would"]["routed_by"]) == (42, "asset")
    print(f"6 dry-run results in {time.monotonic() - began:.1f} s")

    # Nothing written: only reads since the switch (a token request is a POST but writes no
    # ticket), the real ticket is still open, no new ticket, no mute/unmute.
    writes = [
        f"{e['method']} {e['path']}"
        for e in stack.journal(since=str(seq))
        if e["method"] != "GET" and "token" not in e["path"].lower()
    ]
    assert writes == []
    assert any("/asset" in e["path"].lower() for e in stack.journal(since=str(seq)))
    assert [t["id"] for t in stack.tickets()] == [ticket_id]
    still = stack.ticket(ticket_id)
    assert still["hasbeenclosed"] is False
    assert still["status_id"] != 9
    assert len(stack.records(COMMANDS)) == commands_before
    assert {a["kind"] for a in stack.records(FEED) if a.get("alert_id") == "d-2"} >= {"dry_run"}

    status = call("GET", url).body["status"]["dry_run"]
    assert (status["would_create"], status["would_close"], status["default_client"]) == (3, 1, 1)
    assert "would have created 3 tickets, 1 under the default client" in status["sentence"]

    # Live again: nothing replayed; the next raise of the still-raised alert gets its ticket.
    assert call("PUT", url, body(halo_url, mode="live")).status == 200
    time.sleep(1.0)
    assert [t["id"] for t in stack.tickets()] == [ticket_id]
    live = alert_event("dry", "d-1", at=t0 + timedelta(seconds=5))
    stack.send(ALERTS, live)
    result = stack.result_for(live)
    assert (result["outcome"], result["reason"]) == ("created", "ticket_created")
    assert len(stack.tickets()) == 2
    assert len(stack.records(COMMANDS)) == commands_before + 1  # its mute
