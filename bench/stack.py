"""One benchmark stack: a broker, the sandbox, fresh topic namespaces and workers per run."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import events, kio
from bench.infra import Workers, create_topics, sandbox_post
from tests.support.worker import http_get

ALERTS = "watchman.alerts"
RESULTS = "halopsa.ticket-results"
ACTIVITY = "watchman.activity-feed"
PASSTHROUGH = "bench.passthrough"
PLAIN = "bench.plain-faust"
FLOOR = "bench.faust-floor"


@dataclass
class Stack:
    bootstrap: str
    sandbox_url: str
    workdir: Path
    partitions: int
    code_dir: Path
    instances: int = 10  # Halo instances; companies are spread over them (company i → i % n)
    service_pids: dict[str, int] = field(default_factory=dict)  # "sandbox"/"broker" → pid
    _runs: itertools.count = field(default_factory=lambda: itertools.count(1))

    def run(self, label: str) -> Run:
        """A fresh namespace: topic prefix, consumer group, tenants and work dir."""
        tag = f"r{next(self._runs)}{label}"
        path = self.workdir / tag
        path.mkdir(parents=True)
        create_topics(self.bootstrap, f"{tag}-", self.partitions, extra=(PASSTHROUGH, PLAIN, FLOOR))
        return Run(self, tag, path)


@dataclass
class Run:
    stack: Stack
    tag: str
    path: Path

    @property
    def prefix(self) -> str:
        return f"{self.tag}-"

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def workers(self) -> Workers:
        stack = self.stack
        return Workers(stack.bootstrap, self.prefix, stack.partitions, self.path, stack.code_dir)

    def halo_url(self, i: int) -> str:
        """Company ``i``'s Halo: one of the run's instances (an MSP's Halo serves many)."""
        return self.instance_url(i % self.stack.instances)

    def instance_url(self, n: int) -> str:
        return f"{self.stack.sandbox_url}/t/{events.tenant(self.tag, n)}"

    def instance_count(self, companies: int) -> int:
        return min(companies, self.stack.instances)

    def produce(self, name: str, records) -> float:
        return kio.produce(self.stack.bootstrap, self.topic(name), records)

    def count(self, name: str) -> int:
        return kio.count(self.stack.bootstrap, self.topic(name))

    def wait_count(self, name: str, target: int, timeout: float, workers: Workers) -> int:
        alive = lambda: all(w.proc and w.proc.poll() is None for w in workers.procs)  # noqa: E731
        return kio.wait_count(
            self.stack.bootstrap, self.topic(name), target, timeout=timeout, alive=alive
        )

    def read(self, name: str) -> kio.Records:
        return kio.read_all(self.stack.bootstrap, self.topic(name))

    def publish_configs(self, companies: int, *, enabled: bool, workers: Workers) -> None:
        """Configs for every company; returns once the workers applied them (activity entries)."""
        before = self.count(ACTIVITY)
        records = [
            events.config_record(i, enabled=enabled, halo_url=self.halo_url(i))
            for i in range(companies)
        ]
        self.produce("halopsa.integration-config", records)
        got = self.wait_count(ACTIVITY, before + companies, 120, workers)
        if got < before + companies:
            raise RuntimeError(f"configs not applied: {got - before}/{companies}")

    def prepare_tenants(self, companies: int, latency: float | None = None) -> None:
        """Create each Halo instance, lift its rate limit, optionally slow every call down."""
        for n in range(self.instance_count(companies)):
            base = f"{self.instance_url(n)}/_sandbox"
            sandbox_post(f"{base}/config", {"rate_limit": 1_000_000})
            if latency:
                fault = {"kind": "latency", "seconds": latency, "count": None}
                sandbox_post(f"{base}/faults", fault)

    def halo_requests(self, companies: int) -> Counter[str]:
        """Requests every Halo instance journaled (token calls included), by method and path."""
        seen: Counter[str] = Counter()
        for n in range(self.instance_count(companies)):
            status, body = http_get(f"{self.instance_url(n)}/_sandbox/journal")
            if status != 200:
                raise RuntimeError(f"journal of instance {n}: {status} {body}")
            for entry in body["entries"]:
                path = re.sub(r"^/t/[^/]+", "", entry["path"])
                seen[f"{entry['method']} {re.sub(r'/[0-9]+', '/{id}', path)}"] += 1
        return seen


def mix_computers(tickets: int, companies: int, share: float = 0.10) -> int:
    """Computers per company so that distinct computers are ``share`` of the alerts."""
    return max(1, math.ceil(tickets / companies * share))
