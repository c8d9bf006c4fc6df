"""Prometheus metrics of one worker (text format at GET /metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    """All metrics, registered in a per-app registry (several apps may share a test process)."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        self._result_counters: dict[tuple[str, str], Any] = {}
        r = self.registry
        GCCollector(registry=r)  # python_gc_*: collections and collected objects per generation
        self.events_consumed = Counter(
            "streamproc_events_consumed", "Input records consumed", ["topic"], registry=r
        )
        self.results = Counter(
            "streamproc_ticket_results",
            "Ticket results published",
            ["outcome", "reason"],
            registry=r,
        )
        self.dead_letters = Counter(
            "streamproc_dead_letters",
            "Records sent to the dead-letter topic",
            ["topic", "kind"],
            registry=r,
        )
        self.commands = Counter(
            "streamproc_alert_commands", "Mute/unmute commands published", ["command"], registry=r
        )
        self.halo_requests = Counter(
            "streamproc_halo_requests",
            "HaloPSA API requests",
            ["endpoint", "method", "status"],
            registry=r,
        )
        self.halo_latency = Histogram(
            "streamproc_halo_request_seconds",
            "HaloPSA API request latency",
            ["endpoint"],
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.rate_limit_wait = Counter(
            "streamproc_halo_rate_limit_wait_seconds",
            "Time spent waiting for the Halo budget",
            registry=r,
        )
        self.open_tickets = Gauge(
            "streamproc_open_tickets", "Open Halo tickets tracked by this worker", registry=r
        )
        self.halo_budget_used = Gauge(
            "streamproc_halo_budget_used",
            "Requests counted in the rolling window of a Halo instance this worker owns",
            ["halo_instance"],  # not "instance": Prometheus sets that to the target
            registry=r,
        )
        self.halo_budget_remaining = Gauge(
            "streamproc_halo_budget_remaining",
            "Requests left in the rolling window of a Halo instance this worker owns",
            ["halo_instance"],  # not "instance": Prometheus sets that to the target
            registry=r,
        )
        self.halo_jobs_queued = Gauge(
            "streamproc_halo_jobs_queued",
            "Halo actions queued or running for a Halo instance this worker owns",
            ["halo_instance"],  # not "instance": Prometheus sets that to the target
            registry=r,
        )
        self.auth_failures = Counter(
            "streamproc_auth_failures",
            "Failed authentications on the HTTP API (realm: webhook, admin, page)",
            ["realm", "reason"],
            registry=r,
        )
        self.auth_throttled = Counter(
            "streamproc_auth_throttled",
            "Requests refused before their credentials were checked (429 or 503)",
            ["realm", "scope"],
            registry=r,
        )
        self.http_rejected = Counter(
            "streamproc_http_rejected",
            "Requests refused for their shape: body too large (413), too slow (408)",
            ["status"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "streamproc_consumer_lag",
            "Records behind the end of each input partition",
            ["topic", "partition"],
            registry=r,
        )
        self.consumer_lag_age = Gauge(
            "streamproc_consumer_lag_seconds",
            "Age of the oldest unhandled record of each input partition (0: none waiting)",
            ["topic", "partition"],
            registry=r,
        )

        self.rebalances = Counter(
            "streamproc_rebalances",
            "Consumer group rebalances this worker completed",
            registry=r,
        )
        self.assigned_partitions = Gauge(
            "streamproc_assigned_partitions",
            "Input partitions assigned to this worker",
            registry=r,
        )
        self.integrations = Gauge(
            "streamproc_integrations",
            "Companies whose partitions this worker owns, by integration state",
            ["state"],
            registry=r,
        )

    def count_result(self, outcome: str, reason: str) -> None:
        """One published result (the labelled child is looked up once: results are hot)."""
        counter = self._result_counters.get((outcome, reason))
        if counter is None:
            counter = self._result_counters[(outcome, reason)] = self.results.labels(
                outcome, reason
            )
        counter.inc()
