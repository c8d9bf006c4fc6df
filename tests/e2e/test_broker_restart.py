"""Issue "Reliability": a worker survives a broker restart (SIGTERM, same data dir and ports).

This test runs its own broker (the session one must not go down). Lifecycles are produced before
the stop and after the restart; in the end every actionable alert has exactly one ticket in the
sandbox (by supplier_reference), every event has exactly one result, nothing is duplicated.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from streamproc.core.state import intent_key
from streamproc.kafka.broker import BrokerLayout, LocalBroker, free_port
from streamproc.kafka.jars import KafkaSetupError
from tests.chaos.kafka_util import read_json
from tests.e2e.conftest import halo_config, publish_config
from tests.support.broker import REPO
from tests.support.scenario import Stack, alert_event
from tests.support.worker import WorkerProcess, http_get, wait_configured, wait_for

ALERTS = "watchman.alerts"


@pytest.fixture
def own_broker(tmp_path):
    layout = BrokerLayout(
        home=tmp_path / "kafka",
        port=free_port(),
        controller_port=free_port(),
        partitions=4,
        libs_dir=REPO / ".cache" / "kafka" / "libs",
    )
    broker = LocalBroker(layout)
    try:
        broker.start(timeout=90)
    except KafkaSetupError as exc:
        pytest.skip(f"no local broker: {exc}")
    yield broker
    broker.stop()


def test_worker_survives_broker_restart_without_duplicates(
    own_broker, tmp_path, unique_id, halo_url
) -> None:
    bootstrap = own_broker.layout.bootstrap
    worker = WorkerProcess(
        bootstrap=bootstrap,
        app_id=unique_id,
        topic_prefix=f"{unique_id}.",
        data_dir=tmp_path / "w1" / "data",
        log_path=tmp_path / "w1.log",
    )
    try:
        worker.start(timeout=60)
        stack = Stack(bootstrap, worker.topic_prefix, halo_url)
        publish_config(bootstrap, stack.prefix, halo_config("acme", halo_url))
        publish_config(bootstrap, stack.prefix, halo_config("globex", halo_url))
        wait_configured(worker, "acme", "globex")
        before = [alert_event(c, f"b-{i}", minute=i) for i in range(6) for c in ("acme", "globex")]
        stack.send(ALERTS, *before)
        stack.result_for(before[-1], timeout=30)

        own_broker.stop()  # SIGTERM: controlled shutdown
        time.sleep(3)
        assert worker.proc is not None
        alive_while_down = worker.proc.poll() is None
        own_broker.start(timeout=60)

        after = [
            alert_event(c, f"b-{i}", "cleared", minute=30 + i)
            for i in range(3)
            for c in ("acme", "globex")
        ]
        after += [
            alert_event(c, f"n-{i}", minute=40 + i) for i in range(4) for c in ("acme", "globex")
        ]
        stack.send(ALERTS, *after)
        events = before + after

        def all_results():
            got = {
                r["event_id"]
                for r in read_json(bootstrap, f"{stack.prefix}halopsa.ticket-results", idle=0.5)
            }
            return got >= {e["event_id"] for e in events}

        try:
            wait_for(all_results, 40, "a result for every event after the broker restart", worker)
        finally:
            log_tail = worker.log_tail(40)
        assert alive_while_down, f"worker exited while the broker was down:\n{log_tail}"
        assert worker.proc.poll() is None, f"worker died:\n{log_tail}"
        assert http_get(f"{worker.url}/health")[0] == 200

        results = read_json(bootstrap, f"{stack.prefix}halopsa.ticket-results", idle=0.5)
        per_event = Counter(r["event_id"] for r in results)
        assert all(per_event[e["event_id"]] == 1 for e in events), per_event.most_common(5)
        refs = Counter(t.get("supplier_reference") for t in stack.tickets())
        for e in events:
            if e["event_type"] == "raised":
                key = intent_key(e["company_id"], e["alert"]["id"], 1)
                assert refs[key] == 1, (e["company_id"], e["alert"]["id"], refs[key])
        assert sum(refs.values()) == sum(1 for e in events if e["event_type"] == "raised")
        closed = {t["id"] for t in stack.tickets() if t.get("hasbeenclosed")}
        assert len(closed) == 6
    finally:
        worker.stop()
