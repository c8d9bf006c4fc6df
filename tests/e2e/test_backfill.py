"""Issue 16.2: backfill with preview (SPEC §8), on the real broker and the Halo sandbox.

200 alerts are raised while the company has no integration (100) and while it is disabled
(100); a raised-then-cleared and a muted alert are among them. Once enabled, ``GET …/backfill``
lists the 200 with their routing, ``POST …/backfill`` creates their 200 tickets through the
instance owner within its budget (no 429), with progress in the status and the activity feed,
and a second POST creates nothing.
"""

from __future__ import annotations

import signal
import time

from tests.e2e.api_client import api, call
from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import wait_configured, wait_for

COMPANY = "bf"
FEED = "watchman.activity-feed"
LIMIT, WINDOW = 20, 10


def _raise(n: int, **kw: object) -> dict:
    kw.setdefault("minute", n % 50)
    return alert_event(
        COMPANY,
        f"a-{n}",
        serial=f"SN-{n % 40:03d}",
        watchman_id=f"wm-{n % 40}",
        computer_name=f"Mac {n % 40}",
        **kw,  # type: ignore[arg-type]
    )


def test_backfill_of_200_alerts_creates_200_tickets_once_within_the_budget(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    env = {
        "STREAMPROC_HALO_RATE_LIMIT": str(LIMIT),
        "STREAMPROC_HALO_RATE_WINDOW": str(WINDOW),
        "STREAMPROC_SWEEP_INTERVAL": "300",
    }
    worker = make_worker("w1", extra_env=env).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.admin("config", {"rate_limit": LIMIT, "rate_window": WINDOW, "retry_after": True})

    # No integration yet: 100 raises, plus one raised then cleared and one muted.
    first = [_raise(n) for n in range(100)]
    cleared = [_raise(900), _raise(900, event_type="cleared", minute=55)]
    muted = [_raise(901, muted=True)]
    stack.send("watchman.alerts", *first, *cleared, *muted)
    wait_for(lambda: len(stack.results()) >= 103, 90, "results without integration", worker)
    # Saved but disabled: 100 more raises.
    publish_config(kafka_bootstrap, stack.prefix, halo_config(COMPANY, halo_url, enabled=False))
    wait_configured(worker, COMPANY)
    second = [_raise(n) for n in range(100, 200)]
    stack.send("watchman.alerts", *second)
    wait_for(lambda: len(stack.results()) >= 203, 90, "results while disabled", worker)
    reasons = {r["reason"] for r in stack.results()}
    assert reasons == {"integration_not_configured", "integration_disabled", "no_ticket"}, reasons

    backfill = api(worker, COMPANY, "/backfill")
    assert call("POST", backfill, {}, token=None).status == 401
    refused = call("POST", backfill, {})
    assert refused.status == 409
    assert refused.body["error"] == "not_enabled"
    assert call("GET", api(worker, "nobody", "/backfill")).status == 404

    publish_config(kafka_bootstrap, stack.prefix, halo_config(COMPANY, halo_url))
    wait_for(
        lambda: call("GET", api(worker, COMPANY)).body["config"]["enabled"],
        60,
        "the integration enabled",
        worker,
    )
    preview = call("GET", backfill)
    assert preview.status == 200, preview.text
    assert preview.body["count"] == 200
    assert preview.body["truncated"] is False
    assert preview.body["already_ticketed"] == 0
    listed = {a["alert_id"] for a in preview.body["alerts"]}
    assert listed == {f"a-{n}" for n in range(200)}  # not the cleared nor the muted one
    item = preview.body["alerts"][0]
    assert item["computer"].startswith("Mac ")
    assert item["serial"].startswith("SN-")
    assert item["alert_name"] == "Disk almost full"
    assert item["severity"] == "critical"
    would = item["would"]
    assert (would["action"], would["client_id"], would["site_id"]) == ("create", 13, 24)
    assert (would["priority_id"], would["tickettype_id"]) == (3, 1)
    assert stack.tickets() == []  # a preview writes nothing

    began = time.monotonic()
    started = call("POST", backfill, {})
    assert started.status == 202, started.text
    assert started.body["backfill"]["total"] == 200
    assert started.body["backfill"]["state"] in ("running", "done")

    def progress() -> dict | None:
        status = call("GET", api(worker, COMPANY)).body["status"]
        return status["backfill"] if status["backfill"]["state"] == "done" else None

    done = wait_for(progress, 240, "the backfill done", worker)
    took = time.monotonic() - began
    assert (done["total"], done["created"], done["skipped"], done["failed"]) == (200, 200, 0, 0)
    assert done["finished_at"] >= done["started_at"]
    tickets = stack.tickets()
    journal = stack.journal()
    limited = [e for e in journal if e["status"] == 429]
    print(f"backfill of 200: {took:.1f} s, {len(journal)} Halo requests, 429s {len(limited)}")
    assert len(tickets) == 200
    assert len({t["supplier_reference"] for t in tickets}) == 200
    assert limited == [], "the backfill drew a 429: it did not keep to the instance budget"

    # Again: nothing left to create.
    assert call("GET", backfill).body["count"] == 0
    assert call("GET", backfill).body["already_ticketed"] == 200
    again = call("POST", backfill, {})
    assert again.status == 202, again.text
    assert again.body["backfill"]["total"] == 0
    assert again.body["backfill"]["state"] == "done"
    time.sleep(2)
    assert len(stack.tickets()) == 200
    feed = [a for a in stack.records(FEED) if a["kind"].startswith("backfill_")]
    kinds = [a["kind"] for a in feed]
    assert kinds == ["backfill_started", "backfill_finished"] * 2, kinds
    assert "200 ticket(s) created" in feed[1]["message"]


def test_a_backfill_survives_a_worker_killed_mid_way(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    """SIGKILL while the owner works through the backfill's creates (a tight budget keeps it
    busy): the restarted worker finishes it from Kafka, one ticket per alert, and done."""
    env = {
        "STREAMPROC_HALO_RATE_LIMIT": "8",
        "STREAMPROC_HALO_RATE_WINDOW": "10",
        "STREAMPROC_SWEEP_INTERVAL": "300",
    }
    worker = make_worker("w1", extra_env=env).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.admin("config", {"rate_limit": 8, "rate_window": 10, "retry_after": True})
    alerts = [_raise(n) for n in range(60)]
    stack.send("watchman.alerts", *alerts)
    wait_for(lambda: len(stack.results()) >= 60, 90, "results without integration", worker)
    publish_config(kafka_bootstrap, stack.prefix, halo_config(COMPANY, halo_url))
    wait_configured(worker, COMPANY)
    backfill = api(worker, COMPANY, "/backfill")
    assert call("GET", backfill).body["count"] == 60
    started = call("POST", backfill, {})
    assert started.status == 202, started.text
    time.sleep(3)
    assert len(stack.tickets()) < 60, "the budget should keep the backfill busy for a while"
    worker.stop(signal.SIGKILL)
    worker.start()

    def done() -> dict | None:
        reply = call("GET", api(worker, COMPANY))
        progress = reply.body["status"]["backfill"] if reply.status == 200 else None
        return progress if progress and progress["state"] == "done" else None

    progress = wait_for(done, 240, "the backfill done after the restart", worker)
    print(f"backfill across a SIGKILL: {progress}")
    assert progress["total"] == 60
    assert progress["created"] + progress["skipped"] + progress["failed"] == 60
    assert progress["failed"] == 0
    tickets = stack.tickets()
    assert len(tickets) == 60
    assert len({t["supplier_reference"] for t in tickets}) == 60
    assert call("GET", backfill).body["count"] == 0
