"""Rows 7 and 8: alert storms against one Halo instance's budget.

Row 7: one company, a storm of 1,000 alerts over 100 computers. Halo requests per ticket, and
the time from the first alert to the last ticket under a budget scaled ten times (300 requests per
30 s: the hosted burst at ten times the rate), with its projection to hosted Halo's 300 per
5 minutes: a storm needing R requests waits max(0, R - 300) s for budget there, on top of the
time the scaled run took.

Row 8: 8 companies on one instance, 2 workers, a budget of 40 requests per 20 s enforced by the
sandbox per instance (as Halo does) and told to both workers; a storm of 160 alerts over 80
computers. 429s, requests per ticket, and the time to drain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench import events
from bench.infra import sandbox_post
from bench.stack import ALERTS, RESULTS, Stack


@dataclass
class StormRun:
    tickets: int
    requests: int
    rate_limited: int  # 429s the sandbox answered
    overlapped: int  # creates that overlapped another on the instance
    drain_seconds: float
    by_path: dict[str, int]

    @property
    def requests_per_ticket(self) -> float:
        return self.requests / self.tickets if self.tickets else float("nan")

    def projected_seconds(self, limit: int = 300) -> float:
        """Row 7's projection to hosted Halo: the scaled run plus the wait for budget there."""
        return self.drain_seconds + max(0, self.requests - limit) * 300 / limit


def storm(
    stack: Stack,
    *,
    label: str,
    companies: int,
    alerts: int,
    computers: int,
    workers: int,
    limit: int,
    window: float,
) -> StormRun:
    """``alerts`` raises over ``computers`` computers of ``companies`` companies, one instance."""
    run = stack.run(label)
    base = f"{run.instance_url(0)}/_sandbox"
    sandbox_post(
        f"{base}/config",
        {"rate_limit": limit, "rate_window": window, "create_seconds": 0.05, "retry_after": True},
    )
    # The product's sweep interval: sweeps wait for spare budget, so they must not add to a storm.
    env = {
        "STREAMPROC_HALO_RATE_LIMIT": str(limit),
        "STREAMPROC_HALO_RATE_WINDOW": str(window),
    }
    group = run.workers()
    for _ in range(workers):
        group.add(env=env)
    if workers > 1:
        group.wait_balanced()
    records = [
        events.config_record(i, enabled=True, halo_url=run.instance_url(0))
        for i in range(companies)
    ]
    run.produce("halopsa.integration-config", records)
    run.wait_count("watchman.activity-feed", companies, 120, group)
    per_company = max(1, computers // companies)
    storm_records = [events.alert_record(n, companies, per_company)[1] for n in range(alerts)]
    began = time.monotonic()
    run.produce(ALERTS, storm_records)
    try:
        got = run.wait_count(RESULTS, alerts, timeout=900, workers=group)
        drained = time.monotonic() - began
    finally:
        group.stop_all()
    results = run.read(RESULTS)
    if got < alerts:
        raise RuntimeError(f"{label}: only {got}/{alerts} results: {results.reasons()}")
    created = sum(1 for r in results.values if r.get("outcome") == "created")
    by_path = run.halo_requests(1)
    journal = _journal(run.instance_url(0))
    out = StormRun(
        tickets=created,
        requests=sum(by_path.values()),
        rate_limited=sum(1 for e in journal if e["status"] == 429),
        overlapped=sum(1 for e in journal if "overlapping_create" in (e.get("faults") or [])),
        drain_seconds=drained,
        by_path=dict(by_path),
    )
    print(f"#   storm {label}: {out}", flush=True)
    return out


def _journal(url: str) -> list[dict]:
    from tests.support.worker import http_get

    status, body = http_get(f"{url}/_sandbox/journal")
    if status != 200:
        raise RuntimeError(f"journal: {status} {body}")
    return body["entries"]
