"""Saved configs in use: GET from either worker, webhook hints, the next alert after a save.

These need the pipeline agents (the config agent fills the ``configs`` table, the alert agent
makes tickets); the API alone is covered by test_config_api.py.
"""

from __future__ import annotations

import uuid

import pytest

from streamproc.halo_sandbox.seed import DEMO_CLIENT_SECRET
from tests.e2e.api_client import api, basic, body, call, wait_configured
from tests.support.kafka_io import consume_all, produce
from tests.support.scenario import alert_event
from tests.support.worker import ADMIN_TOKEN, WorkerProcess, wait_for

# --- needs the config agent (applies halopsa.integration-config to the configs table) ---------


def test_get_status_from_either_worker(make_worker, halo_url):
    w1 = make_worker("w1").start()
    w2 = make_worker("w2").start()
    topic = f"{w1.topic_prefix}watchman.alerts"

    def split() -> bool:
        a, b = w1.assigned(topic), w2.assigned(topic)
        return bool(a) and bool(b) and not (a & b) and a | b == set(range(w1.partitions))

    wait_for(split, 60, "both workers own a share of the partitions", w1, w2)
    w1.wait_ready()
    w2.wait_ready()
    company = "co-either"
    saved = call("PUT", api(w1, company), body(halo_url))
    assert saved.status == 200, saved.text
    for worker in (w1, w2):
        got = wait_configured(worker, company, w1, w2)
        assert got["config"] == saved.body["config"]
        assert got["status"]["state"] == "active"
        assert got["status"]["counters"]["created"] == 0
        assert got["webhook"]["url"] == f"/api/v1/halopsa/webhook/{company}"
        assert got["page_url"].startswith(
            f"/companies/{company}/integrations/halopsa?link=v1.view."
        )
    # an update without the secret keeps the stored one and the webhook password
    update = call(
        "PUT", api(w2, company), body(halo_url, client_secret=None, default_priority_id=2)
    )
    assert update.status == 200, update.text
    assert update.body["webhook"]["password"] is None
    wait_for(
        lambda: call("GET", api(w1, company)).body["config"]["default_priority_id"] == 2,
        60,
        "update visible",
        w1,
        w2,
    )
    # the other worker forwards PUT with its body too (one of w1/w2 is not the owner)
    again = call("PUT", api(w1, company), body(halo_url, client_secret=None, default_priority_id=1))
    assert again.status == 200, again.text
    assert call("DELETE", api(w2, company)).status == 204
    wait_for(lambda: call("GET", api(w1, company)).status == 404, 60, "removed", w1, w2)
    assert call("DELETE", api(w1, company)).status == 404
    for worker in (w1, w2):
        log = worker.log_path.read_text(errors="replace")
        assert DEMO_CLIENT_SECRET not in log
        assert ADMIN_TOKEN not in log


def test_webhook_publishes_ticket_observations(make_worker, halo_url, kafka_bootstrap):
    worker = make_worker("w1").start()
    company = "co-hook"
    saved = call("PUT", api(worker, company), body(halo_url))
    assert saved.status == 200, saved.text
    wait_configured(worker, company)
    hook = saved.body["webhook"]
    url = worker.url + hook["url"]
    auth = basic(hook["username"], hook["password"])
    assert (
        call(
            "POST", url, {"object_id": 1}, token=None, headers=basic(hook["username"], "no")
        ).status
        == 401
    )
    assert call("POST", url, raw=b"{oops", token=None, headers=auth).status == 400
    batch = [{"object_id": "1001"}, {"ticket": {"id": 1002}}, {"ticket_id": 1001}]
    reply = call("POST", url, batch, token=None, headers=auth)
    assert reply.status == 202
    assert reply.body == {"accepted": 2}
    records = consume_all(kafka_bootstrap, f"{worker.topic_prefix}halopsa.ticket-observations")
    # the topic also carries commands (timers, backfills, names learned by the PUT's test)
    hints = [v for k, v in records if k == company and "halo_ticket_id" in v]
    assert sorted(v["halo_ticket_id"] for v in hints) == [1001, 1002]
    assert all(v["source"] == "webhook" for v in hints)


# --- needs the alert pipeline agents ---------------------------------------------------------


def _result_for(bootstrap: str, worker: WorkerProcess, event_id: str):
    topic = f"{worker.topic_prefix}halopsa.ticket-results"
    found = [v for _, v in consume_all(bootstrap, topic) if v.get("event_id") == event_id]
    return found[0] if found else None


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_next_alert_uses_the_saved_config(make_worker, halo_url, kafka_bootstrap, enabled):
    worker = make_worker("w1").start()
    company = f"co-alert-{enabled}"
    saved = call("PUT", api(worker, company), body(halo_url, enabled=enabled))
    assert saved.status == 200, saved.text
    wait_configured(worker, company)
    alert = alert_event(company, f"a-{uuid.uuid4().hex[:6]}")
    produce(kafka_bootstrap, f"{worker.topic_prefix}watchman.alerts", [(company, alert)])
    result = wait_for(
        lambda: _result_for(kafka_bootstrap, worker, alert["event_id"]), 60, "ticket result", worker
    )
    if enabled:
        assert result["outcome"] == "created"
        assert result["halo_ticket_id"]
    else:
        assert (result["outcome"], result["reason"]) == ("skipped", "integration_disabled")
