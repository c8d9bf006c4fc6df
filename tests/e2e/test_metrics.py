"""Issue 5: /metrics parses with prometheus_client and its counters match the events sent."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.support.kafka_io import produce
from tests.support.scenario import alert_event
from tests.support.worker import wait_for


def _samples(url: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metric_counters_match_the_events_sent(make_worker, kafka_bootstrap) -> None:
    worker = make_worker("w1").start()
    topic = f"{worker.topic_prefix}watchman.alerts"
    events = [alert_event("metrics-co", f"m-{n}") for n in range(7)]
    produce(kafka_bootstrap, topic, [("metrics-co", e) for e in events])
    produce(kafka_bootstrap, topic, [("metrics-co", b"not json")])

    consumed = ("streamproc_events_consumed_total", (("topic", topic),))
    skipped = (
        "streamproc_ticket_results_total",
        (("outcome", "skipped"), ("reason", "integration_not_configured")),
    )
    dead = ("streamproc_dead_letters_total", (("kind", "invalid_json"), ("topic", topic)))

    def counted() -> dict | None:
        samples = _samples(worker.url)
        return samples if samples.get(consumed) == 8 and samples.get(dead) == 1 else None

    samples = wait_for(counted, 30, "metrics to count 8 consumed records", worker)
    assert samples[skipped] == 7
    assert samples[dead] == 1
