"""Issue 16.5: the integration self-test end to end (worker subprocess, real broker, Halo sandbox).

``POST …/integrations/halopsa/self-test`` sends a job to the owner of the company's Halo
instance (the worker's Halo traffic all comes from there) and answers with its report: each step,
its timing, and for a failed one the fix; the steps after a failed prerequisite are skipped.
"""

from __future__ import annotations

import time

from cryptography.fernet import Fernet

from streamproc.core.selftest import TEST_SUMMARY
from tests.e2e.api_client import api, body, call, wait_configured
from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack
from tests.support.worker import SECRET_KEY, wait_for

ALL = [
    "token",
    "asset_search",
    "ticket_type",
    "priority",
    "default_client",
    "default_site",
    "create_ticket",
    "read_back",
    "close_ticket",
]


def _steps(reply: dict) -> dict[str, dict]:
    return {step["name"]: step for step in reply["steps"]}


def test_self_test_good_config_wrong_secret_and_missing_priority(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    url = api(worker, "st", "/self-test")
    assert call("POST", url, {}, token=None).status == 401
    assert call("POST", url, {}).status == 404  # nothing saved yet

    # A good config: every step passes, the test ticket exists closed in Halo.
    assert call("PUT", api(worker, "st"), body(halo_url)).status == 200
    assert call("POST", url, {"write": "yes"}).status == 422
    began = time.monotonic()
    reply = call("POST", url, {})
    took = time.monotonic() - began
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True, reply.body
    assert reply.body["write"] is True
    assert [s["name"] for s in reply.body["steps"]] == ALL
    assert all(isinstance(s["ms"], int) and "fix" not in s for s in reply.body["steps"])
    tickets = stack.tickets()
    assert [t["summary"] for t in tickets] == [TEST_SUMMARY]
    assert tickets[0]["client_id"] == 13
    assert tickets[0]["status_id"] == 9  # closed
    # the report is kept in the status too
    status = call("GET", api(worker, "st")).body["status"]
    assert status["self_test"]["event_id"] == reply.body["test_id"]
    print(f"self-test with a test ticket answered in {took:.2f} s")

    # A wrong client secret (only the config topic takes it: the API tests credentials first).
    publish_config(
        kafka_bootstrap,
        worker.topic_prefix,
        halo_config("st-bad", halo_url, client_secret_encrypted=_encrypted("wrong")),
    )
    wait_configured(worker, "st-bad")
    reply = call("POST", api(worker, "st-bad", "/self-test"), {})
    assert reply.status == 200, reply.text
    steps = _steps(reply.body)
    assert reply.body["ok"] is False
    assert steps["token"]["ok"] is False
    assert "client id/secret were refused" in steps["token"]["fix"]
    assert all(s["skipped"] for name, s in steps.items() if name != "token")
    assert steps["create_ticket"]["detail"] == "skipped: token did not pass"
    assert len(stack.tickets()) == 1

    # A priority that does not exist; reads only (write: false): no ticket is created.
    publish_config(
        kafka_bootstrap,
        worker.topic_prefix,
        halo_config("st-prio", halo_url, default_priority_id=7),
    )
    wait_for(lambda: call("GET", api(worker, "st-prio")).status == 200, 60, "st-prio saved", worker)
    reply = call("POST", api(worker, "st-prio", "/self-test"), {"write": False})
    assert reply.status == 200, reply.text
    steps = _steps(reply.body)
    assert steps["token"]["ok"] is True
    assert steps["priority"]["ok"] is False
    assert steps["priority"]["fix"].startswith("priority 7 does not exist in Halo")
    assert "3 Medium" in steps["priority"]["fix"]
    assert "create_ticket" not in steps
    assert len(stack.tickets()) == 1


def _encrypted(secret: str) -> str:
    return Fernet(SECRET_KEY).encrypt(secret.encode()).decode()


def test_drift_check_puts_the_status_in_error_with_what_to_do(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    assert call("PUT", api(worker, "dr"), body(halo_url)).status == 200
    reply = call("POST", api(worker, "dr", "/check"))
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True
    assert reply.body["purpose"] == "check"
    assert call("GET", api(worker, "dr")).body["status"]["state"] == "active"

    # The close status was deleted in Halo (here: the config names one Halo never had).
    publish_config(
        kafka_bootstrap, worker.topic_prefix, halo_config("dr", halo_url, close_status_id=77)
    )
    wait_for(
        lambda: call("GET", api(worker, "dr")).body["config"]["close_status_id"] == 77,
        60,
        "close status 77 saved",
        worker,
    )
    reply = call("POST", api(worker, "dr", "/check"))
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is False
    status = call("GET", api(worker, "dr")).body["status"]
    assert status["state"] == "error"
    assert status["last_error"]["reason"] == "config_drift"
    assert "status 77 does not exist in Halo" in status["last_error"]["message"]
    assert status["drift_check"]["event_id"] == reply.body["test_id"]
    methods = {e["method"] for e in stack.journal() if "/api/" in e["path"].lower()}
    assert methods == {"GET"}  # a check writes nothing
