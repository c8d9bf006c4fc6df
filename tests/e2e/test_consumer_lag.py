"""Issue 17: consumer lag per input partition in /metrics and /health, during a backlog and after.

A tenant's Halo answers 503 (an outage): its lane retries and its records stay unhandled, so the
partition falls behind. When Halo recovers, the backlog drains and the lag returns to 0.
"""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import http_get, wait_configured, wait_for

BACKLOG = 30


def lag_of(url: str, topic: str) -> tuple[float, float]:
    """(records behind, oldest unhandled age in s) summed/maxed over ``topic``'s partitions."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    records, age = 0.0, 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("topic") != topic:
                continue
            if s.name == "streamproc_consumer_lag":
                records += s.value
            elif s.name == "streamproc_consumer_lag_seconds":
                age = max(age, s.value)
    return records, age


def test_lag_appears_during_a_backlog_and_returns_to_zero(make_worker, kafka_bootstrap, halo_url):
    worker = make_worker(
        "w1",
        extra_env={"STREAMPROC_HALO_RETRY_MAX_DELAY": "1", "STREAMPROC_LAG_DEGRADED_AGE": "3"},
    ).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    alerts = f"{worker.topic_prefix}watchman.alerts"
    publish_config(kafka_bootstrap, stack.prefix, halo_config("lagco", halo_url))
    wait_configured(worker, "lagco")
    assert lag_of(worker.url, alerts) == (0, 0)

    stack.admin("faults", {"kind": "error5xx", "status": 503, "count": None})
    events = [alert_event("lagco", f"lag-{n}") for n in range(BACKLOG)]
    stack.send("watchman.alerts", *events)

    def behind() -> tuple[float, float] | None:
        records, age = lag_of(worker.url, alerts)
        return (records, age) if records >= BACKLOG and age > 3 else None

    records, _ = wait_for(behind, 30, f"lag of {BACKLOG} records, oldest > 3 s", worker)
    assert records == BACKLOG
    _, health = http_get(f"{worker.url}/health")
    assert health["status"] == "degraded", health
    assert any("oldest unhandled record is" in r for r in health["degraded"]), health
    assert sum(p["records"] for k, p in health["lag"].items() if k.startswith(alerts)) == BACKLOG

    request = urllib.request.Request(f"{halo_url}/_sandbox/faults", method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()

    def caught_up() -> bool:
        return lag_of(worker.url, alerts) == (0, 0)

    wait_for(caught_up, 60, "lag back to 0 after Halo recovered", worker)
    assert len([r for r in stack.results() if r["outcome"] == "created"]) == BACKLOG
    status, health = http_get(f"{worker.url}/health")
    assert (status, health["status"], health["degraded"], health["lag"]) == (200, "ready", [], {})
    assert integrations(worker.url) == {"active": 1, "error": 0, "disabled": 0}


def integrations(url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {
        s.labels["state"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "streamproc_integrations"
    }
