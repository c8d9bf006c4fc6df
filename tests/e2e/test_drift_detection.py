"""Issue 16.4: drift is detected without ``POST …/check``: after a Halo error that names a
configured id, and daily per company (here a 12 s "day").

In the sandbox (admin API) the configured ticket type's SLA is replaced by one that offers no
priority: the configured priority 3 no longer exists for it, as when it is removed in Halo.
The integration status must go to ``error`` with what to do (``config_drift``), the report in
``status.drift_check``, and nobody called ``…/check``.
"""

from __future__ import annotations

from tests.e2e.api_client import api, body, call
from tests.support.scenario import Stack, alert_event
from tests.support.worker import wait_for

NO_PRIORITIES_SLA = 99


def _drifted(worker, company: str) -> dict | None:
    status = call("GET", api(worker, company)).body["status"]
    error = status.get("last_error") or {}
    return status if error.get("reason") == "config_drift" else None


def _remove_priority(stack: Stack) -> None:
    stack.admin("records/tickettypes", {"id": 1, "default_sla": NO_PRIORITIES_SLA})


def _status_reads(stack: Stack) -> int:
    """Drift checks read the statuses (``GET /api/Status``); after the save's credential test
    (which reads them for the page's close status pick-list) nothing else does here."""
    return sum(1 for e in stack.journal() if e["path"].lower().endswith("/api/status"))


def test_a_halo_error_naming_a_configured_priority_starts_a_drift_check(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    worker = make_worker("w1").start()  # the daily check is a day away
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    assert call("PUT", api(worker, "drift-err"), body(halo_url)).status == 200
    _remove_priority(stack)
    saved = _status_reads(stack)  # the PUT's credential test

    for n in range(3):  # three failing creates: one check (debounced)
        stack.send("watchman.alerts", alert_event("drift-err", f"a{n}", serial=f"SN-{n}"))
    status = wait_for(
        lambda: _drifted(worker, "drift-err"), 60, "status error after the Halo error", worker
    )
    assert status["state"] == "error"
    assert "priority 3 does not exist in Halo" in status["last_error"]["message"]
    assert status["drift_check"]["purpose"] == "check"
    assert status["drift_check"]["ok"] is False
    failed = [r for r in stack.results() if r["outcome"] == "failed"]
    assert failed, "the creates failed first (that is what started the check)"
    assert _status_reads(stack) == saved + 1


def test_the_daily_check_finds_drift_before_any_ticket_fails(
    make_worker, kafka_bootstrap: str, halo_url: str
) -> None:
    env = {"STREAMPROC_DRIFT_CHECK_INTERVAL": "12"}
    worker = make_worker("w1", extra_env=env).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    assert call("PUT", api(worker, "drift-day"), body(halo_url)).status == 200
    first = wait_for(
        lambda: call("GET", api(worker, "drift-day")).body["status"].get("drift_check"),
        60,
        "a first daily check",
        worker,
    )
    assert first["ok"] is True
    assert call("GET", api(worker, "drift-day")).body["status"]["state"] == "active"

    _remove_priority(stack)
    status = wait_for(lambda: _drifted(worker, "drift-day"), 60, "the next daily check", worker)
    assert status["state"] == "error"
    assert "priority 3 does not exist in Halo" in status["last_error"]["message"]
    assert status["drift_check"]["at"] > first["at"]
    assert stack.results() == []  # no alert, no ticket: found before tickets fail
    assert stack.tickets() == []
