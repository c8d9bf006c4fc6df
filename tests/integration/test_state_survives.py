"""Issue 2 §5a: an agent's table update survives a restart and the loss of its data dir."""

from __future__ import annotations

import shutil

from tests.support.kafka_io import produce
from tests.support.scenario import alert_event
from tests.support.worker import ADMIN_TOKEN, WorkerProcess, http_get, wait_for


def _alert(company: str, n: int) -> dict:
    return alert_event(company, f"alert-{n}")


def _consumed(worker: WorkerProcess, company: str) -> int:
    status, body = http_get(f"{worker.url}/api/v1/companies/{company}/stats", ADMIN_TOKEN)
    assert status == 200, body
    return body["stats"].get("events_consumed", 0)


def test_table_state_survives_restart_and_datadir_loss(make_worker, kafka_bootstrap):
    worker = make_worker("w1").start()
    topic = f"{worker.topic_prefix}watchman.alerts"

    produce(kafka_bootstrap, topic, [("acme", _alert("acme", 1))])
    wait_for(lambda: _consumed(worker, "acme") == 1, 30, "first event counted", worker)

    worker.stop()
    worker.start()
    assert _consumed(worker, "acme") == 1, "table state lost on restart"
    produce(kafka_bootstrap, topic, [("acme", _alert("acme", 2))])
    wait_for(lambda: _consumed(worker, "acme") == 2, 30, "second event counted", worker)

    worker.stop()
    shutil.rmtree(worker.data_dir)
    worker.start()
    assert _consumed(worker, "acme") == 2, "table not rebuilt from its changelog"


def test_stats_require_the_admin_token(make_worker):
    worker = make_worker("w1").start()
    assert http_get(f"{worker.url}/api/v1/companies/acme/stats")[0] == 401
    assert http_get(f"{worker.url}/api/v1/companies/acme/stats", "wrong")[0] == 401
