"""Issue 2 §5b: two workers split the partitions; the survivor takes over partitions and state."""

from __future__ import annotations

import signal

import pytest

from tests.support.kafka_io import produce
from tests.support.scenario import alert_event
from tests.support.worker import ADMIN_TOKEN, WorkerProcess, http_get, wait_for

COMPANIES = [f"company-{i}" for i in range(12)]


def _count(worker: WorkerProcess, company: str) -> int:
    status, body = http_get(f"{worker.url}/api/v1/companies/{company}/stats", ADMIN_TOKEN)
    return body["stats"].get("events_consumed", 0) if status == 200 else -1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_survivor_takes_over_partitions_and_state(make_worker, kafka_bootstrap, sig):
    w1 = make_worker("w1").start()
    w2 = make_worker("w2").start()
    topic = f"{w1.topic_prefix}watchman.alerts"

    def split() -> bool:
        a, b = w1.assigned(topic), w2.assigned(topic)
        return bool(a) and bool(b) and not (a & b) and a | b == set(range(w1.partitions))

    wait_for(split, 60, "both workers own a disjoint share of the partitions", w1, w2)
    produce(kafka_bootstrap, topic, [(c, alert_event(c, "a-1")) for c in COMPANIES])
    wait_for(
        lambda: all(_count(w1, c) == 1 for c in COMPANIES), 30, "every company counted", w1, w2
    )

    w2.stop(sig)
    wait_for(
        lambda: w1.assigned(topic) == set(range(w1.partitions)),
        60,
        "the survivor owns every partition",
        w1,
    )
    w1.wait_ready()
    assert {c: _count(w1, c) for c in COMPANIES} == dict.fromkeys(COMPANIES, 1)
    produce(kafka_bootstrap, topic, [(c, alert_event(c, "a-2")) for c in COMPANIES])
    wait_for(
        lambda: all(_count(w1, c) == 2 for c in COMPANIES), 30, "survivor counts new events", w1
    )
