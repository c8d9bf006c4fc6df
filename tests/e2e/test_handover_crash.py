"""Jobs and replies handed over inside one worker (agents/handover.py) survive a SIGKILL.

One worker owns every company and their Halo instance, so after the first job of each job
partition, jobs and replies skip Kafka. The sandbox takes a second per create, and the worker is
killed while a storm's creates are on their way: nothing of them is in a topic. After the restart
every alert has exactly one ticket and a `created` result, and none failed.
"""

from __future__ import annotations

import signal
import time

from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import wait_configured, wait_for

COMPANIES = [f"co{i}" for i in range(4)]


def _storm(first: int, count: int) -> list[dict]:
    return [
        alert_event(
            COMPANIES[n % 4],
            f"alert-{n}",
            serial=f"SN-{n:03d}",
            watchman_id=f"wm-{n}",
            computer_name=f"Mac {n}",
        )
        for n in range(first, first + count)
    ]


def test_a_worker_killed_with_handed_over_jobs_in_flight_loses_nothing(
    make_worker, kafka_bootstrap, halo_url
) -> None:
    worker = make_worker("w1", extra_env={"STREAMPROC_SWEEP_INTERVAL": "300"}).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    for company in COMPANIES:
        publish_config(kafka_bootstrap, stack.prefix, halo_config(company, halo_url))
    wait_configured(worker, *COMPANIES)

    warm = _storm(0, 8)  # the first job of each job partition comes through Kafka
    stack.send("watchman.alerts", *warm)
    wanted = {e["event_id"] for e in warm}
    wait_for(lambda: wanted <= {r["event_id"] for r in stack.results()}, 60, "warm-up", worker)

    def posts() -> int:
        return sum(e["method"] == "POST" and "Tickets" in e["path"] for e in stack.journal())

    stack.admin("config", {"create_seconds": 1.0})
    before = posts()
    storm = _storm(8, 40)
    stack.send("watchman.alerts", *storm)
    wait_for(lambda: posts() > before, 30, "the storm's first create on its way", worker)
    time.sleep(0.5)  # mid-create: the storm's jobs are in the owner, in no topic
    jobs_in_kafka = len(stack.records("halopsa.instance-jobs"))
    replies_in_kafka = len(stack.records("halopsa.instance-replies"))
    worker.stop(signal.SIGKILL)
    stack.admin("config", {"create_seconds": 0.0})
    worker.start()

    wanted = {e["event_id"] for e in warm + storm}

    def all_created() -> bool:
        done = {r["event_id"] for r in stack.results() if r["outcome"] == "created"}
        return wanted <= done

    wait_for(all_created, 120, "a ticket for every alert after the restart", worker)
    refs = [t["supplier_reference"] for t in stack.tickets()]
    print(f"at the kill: {jobs_in_kafka} jobs, {replies_in_kafka} replies in Kafka; posts {before}")
    assert len(refs) == len(wanted)
    assert len(set(refs)) == len(wanted)  # one ticket per alert: none created twice
    assert not [r for r in stack.results() if r["outcome"] == "failed"]
    assert jobs_in_kafka < len(storm) // 2  # the storm's jobs were handed over, not sent
    assert replies_in_kafka < len(warm) + len(storm) // 2
