"""Issue 16.3: maintenance windows end to end (worker subprocess, real broker, Halo sandbox).

A raise inside a window makes no ticket (``skipped/maintenance_window``) and gets one when the
window ends if it is still raised, also when the worker was killed during the window; a raise
cleared during the window never gets one. Windows last a few seconds, so each test does too.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.api_client import api, body, call
from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import wait_configured, wait_for

ALERTS = "watchman.alerts"
FEED = "watchman.activity-feed"


def window(seconds: float, **limits: Any) -> dict[str, Any]:
    """A one-off window that started a moment ago and ends ``seconds`` from now."""
    now = datetime.now(UTC)
    start, end = now - timedelta(seconds=1), now + timedelta(seconds=seconds)
    return {"id": "patching", "start": start.isoformat(), "end": end.isoformat(), **limits}


def outcomes(stack: Stack, event: dict[str, Any]) -> list[str]:
    return [
        f"{r['outcome']}/{r['reason']}"
        for r in stack.results()
        if r["event_id"] == event["event_id"]
    ]


def created(stack: Stack, event: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    """The ``created`` result of ``event`` (after its ``skipped/maintenance_window`` one)."""

    def probe() -> dict[str, Any] | None:
        found = [
            r
            for r in stack.results()
            if r["event_id"] == event["event_id"] and r["outcome"] == "created"
        ]
        return found[0] if found else None

    return wait_for(probe, timeout, f"ticket for {event['event_id']}", stack.worker)  # type: ignore[attr-defined]


def test_a_raise_in_a_window_gets_its_ticket_when_the_window_ends(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.worker = worker  # type: ignore[attr-defined]
    windows = api(worker, "maint", "/maintenance-windows")
    assert call("PUT", windows, {"maintenance_windows": []}).status == 404  # nothing saved yet
    assert call("PUT", api(worker, "maint"), body(halo_url)).status == 200
    assert call("GET", windows, token=None).status == 401

    bad = {
        "time_zone": {
            "id": "w",
            "weekly": {"days": ["mon"], "from": "01:00", "to": "02:00"},
            "time_zone": "Mars/Olympus",
        },
        "weekly.days.0": {
            "id": "w",
            "weekly": {"days": ["funday"], "from": "01:00", "to": "02:00"},
            "time_zone": "UTC",
        },
        "alert_name_pattern": {**window(5), "alert_name_pattern": "Disk[0-9"},
    }
    for field, one in bad.items():
        reply = call("PUT", windows, {"maintenance_windows": [one]})
        assert reply.status == 422, reply.text
        assert reply.body["fields"][0]["field"] == f"maintenance_windows.0.{field}", reply.body
    backwards = {**window(5), "end": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    reply = call("PUT", windows, {"maintenance_windows": [backwards]})
    assert (reply.status, reply.body["fields"][0]["message"]) == (422, "end must be after start")
    many = [{**window(5), "id": f"w{i}"} for i in range(51)]
    reply = call("PUT", windows, {"maintenance_windows": many})
    assert reply.status == 422
    assert "too many windows" in reply.body["fields"][0]["message"]

    patching = window(5, alert_name_pattern="Disk*")
    reply = call("PUT", windows, {"maintenance_windows": [patching]})
    assert reply.status == 200, reply.text
    assert reply.body["active_now"] == ["patching"]
    assert call("GET", windows).body["maintenance_windows"][0]["alert_name_pattern"] == "Disk*"
    assert call("GET", api(worker, "maint")).status == 200

    stays = alert_event("maint", "m-1", at=datetime.now(UTC))
    goes = alert_event("maint", "m-2", at=datetime.now(UTC))
    gone = alert_event("maint", "m-2", "cleared", at=datetime.now(UTC) + timedelta(seconds=1))
    other = alert_event("maint", "m-3", name="Backup failed", at=datetime.now(UTC))
    stack.send(ALERTS, stays, goes, gone, other)
    for event in (stays, goes, gone):
        assert stack.result_for(event)["reason"] == "maintenance_window"
    assert stack.result_for(other)["outcome"] == "created"  # not covered by the window's pattern
    assert len(stack.tickets()) == 1

    ticket = created(stack, stays)
    assert datetime.fromisoformat(ticket["at"]) >= datetime.fromisoformat(patching["end"])
    assert outcomes(stack, stays) == ["skipped/maintenance_window", "created/ticket_created"]
    assert outcomes(stack, goes) == ["skipped/maintenance_window"]  # cleared: never a ticket
    time.sleep(1.5)  # a tick and more after the window: still no ticket for the cleared alert
    tickets = stack.tickets()
    assert sorted(t["id"] for t in tickets) == sorted(
        [ticket["halo_ticket_id"], stack.result_for(other)["halo_ticket_id"]]
    )
    feed = stack.records(FEED)
    assert any("Maintenance windows: patching." in a["message"] for a in feed)
    entries = [a for a in feed if a["kind"] == "maintenance_window"]
    assert [a["alert_id"] for a in entries] == ["m-1", "m-2", "m-2"]
    assert "no ticket was created" in entries[-1]["message"]


def test_a_held_raise_gets_its_ticket_across_a_worker_restart_in_the_window(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.worker = worker  # type: ignore[attr-defined]
    config = halo_config("maint", halo_url, maintenance_windows=[window(6)])
    publish_config(kafka_bootstrap, worker.topic_prefix, config)
    wait_configured(worker, "maint")
    raised = alert_event("maint", "r-1", at=datetime.now(UTC))
    stack.send(ALERTS, raised)
    assert stack.result_for(raised)["reason"] == "maintenance_window"
    worker.stop(signal.SIGKILL)  # during the window: the held raise is only in the tables
    worker.start()
    result = created(stack, raised, timeout=60)
    assert result["halo_ticket_id"]
    assert len(stack.tickets()) == 1


def test_removing_a_window_releases_its_held_raise_at_once(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.worker = worker  # type: ignore[attr-defined]
    assert call("PUT", api(worker, "early"), body(halo_url)).status == 200
    windows = api(worker, "early", "/maintenance-windows")
    assert call("PUT", windows, {"maintenance_windows": [window(600)]}).status == 200
    raised = alert_event("early", "e-1", at=datetime.now(UTC))
    stack.send(ALERTS, raised)
    assert stack.result_for(raised)["reason"] == "maintenance_window"
    removed = time.monotonic()
    assert call("PUT", windows, {"maintenance_windows": []}).body["maintenance_windows"] == []
    created(stack, raised)
    assert time.monotonic() - removed < 10  # not the window's end, 10 minutes away
