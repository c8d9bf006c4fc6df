"""What one repeat of each row measures (every repeat gets a fresh namespace via ``Stack.run``)."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from bench import ceilings, events, kio
from bench.infra import CpuMeter, ms_per, peak_rss_mib, plain_faust, time_until_healthy
from bench.stack import ALERTS, FLOOR, PASSTHROUGH, PLAIN, RESULTS, Stack, mix_computers
from streamproc.kafka.connection import client_kwargs


@dataclass
class NoTicketRun:
    """Row 2 (+ row 6 when the run is large enough)."""

    rate: float
    window_rates: list[float]
    reasons: dict[str, int]
    peak_rss_mib: float
    restart_seconds: float


def no_ticket(stack: Stack, n: int, companies: int, ceiling_repeats: int) -> tuple:
    """Pre-produce ``n`` distinct alerts, measure the ceilings on them, then the worker.

    The worker first applies disabled configs for every company and stops, so that every alert
    meets its company's config; then the alerts are produced and the worker is started again.
    Returns (NoTicketRun, [consume-only rates], [passthrough rates], plain faust window rates,
    the rate of a faust agent that only acks).
    """
    run = stack.run("noticket")
    workers = run.workers()
    worker = workers.add()
    run.publish_configs(companies, enabled=False, workers=workers)
    worker.stop()
    records = [rec for _, rec in events.alerts(n, companies, computers=50)]
    seconds = run.produce(ALERTS, records)
    print(f"#   produced {n} alerts in {seconds:.1f}s", flush=True)
    consume = [ceilings.consume_only(stack.bootstrap, run.topic(ALERTS), n)]
    passthrough = []
    for i in range(ceiling_repeats):
        passthrough.append(
            ceilings.passthrough(stack.bootstrap, run.topic(ALERTS), run.topic(PASSTHROUGH), n)
        )
        if i:
            consume.append(ceilings.consume_only(stack.bootstrap, run.topic(ALERTS), n))
    print(f"#   ceilings consume {consume} passthrough {passthrough}", flush=True)
    plain = plain_faust_rates(stack, run, n)
    print(f"#   plain faust agent {plain}", flush=True)
    floor = plain_faust_floor(stack, run, n)
    print(f"#   faust agent that only acks {floor:,.0f}/s", flush=True)
    worker.start(wait=False)
    got = run.wait_count(RESULTS, n, timeout=max(300, n / 100), workers=workers)
    rss = peak_rss_mib(worker.proc.pid)
    results = run.read(RESULTS)
    if got < n:
        raise RuntimeError(f"only {got}/{n} results: {results.reasons()}\n{worker.log_tail()}")
    worker.stop()
    restart = time_until_healthy(worker)
    workers.stop_all()
    out = NoTicketRun(results.rate(), results.window_rates(5), results.reasons(), rss, restart)
    print(f"#   streamproc {out}", flush=True)
    return out, consume, passthrough, plain, floor


def plain_faust_rates(stack: Stack, run, n: int) -> list[float]:
    """Row 1c: window rates of the plain faust agent over the same ``n`` alerts."""
    source, sink = run.topic(ALERTS), run.topic(PLAIN)
    with plain_faust(stack.bootstrap, run.tag, source, sink, stack.partitions, run.path) as proc:
        got = kio.wait_count(
            stack.bootstrap, sink, n, timeout=max(300, n / 100), alive=lambda: proc.poll() is None
        )
    if got < n:
        raise RuntimeError(f"plain faust agent: only {got}/{n} results (see plain-faust.log)")
    return kio.read_all(stack.bootstrap, sink, decode=False).window_rates(5)


def plain_faust_floor(stack: Stack, run, n: int) -> float:
    """Row 1d: events/s of a faust agent that only acks, over the same ``n`` alerts."""
    source, sink = run.topic(ALERTS), run.topic(FLOOR)
    extra = {"PLAIN_MODE": "floor", "PLAIN_EXPECT": str(n)}
    with plain_faust(
        stack.bootstrap, run.tag, source, sink, stack.partitions, run.path, **extra
    ) as proc:
        got = kio.wait_count(
            stack.bootstrap, sink, 1, timeout=max(300, n / 100), alive=lambda: proc.poll() is None
        )
    if got < 1:
        raise RuntimeError("faust floor agent: no result (see plain-faust-floor.log)")
    took = kio.read_all(stack.bootstrap, sink).values[0]
    return took["events"] / took["seconds"]


@dataclass
class TicketRun:
    """Rows 3 and 5 (and the scaling row)."""

    tickets_per_s: float
    created: int
    requests: int
    reasons: dict[str, int]
    by_path: dict[str, int]
    cpu_ms_per_ticket: dict[str, float]  # process → CPU milliseconds per created ticket

    @property
    def requests_per_ticket(self) -> float:
        return self.requests / self.created if self.created else float("nan")

    @property
    def requests_per_ticket_after_auth(self) -> float:
        """Requests per ticket once the tenant has a token (per-tenant set-up left out)."""
        setup = sum(v for k, v in self.by_path.items() if "authinfo" in k or "token" in k)
        return (self.requests - setup) / self.created if self.created else float("nan")


def tickets(
    stack: Stack, n: int, companies: int, *, workers: int = 1, latency: float | None = None
) -> TicketRun:
    """``n`` raises of distinct alerts (10% distinct computers), each becoming a ticket."""
    run = stack.run(f"tickets{workers}w")
    run.prepare_tenants(companies, latency)
    group = run.workers()
    for _ in range(workers):
        group.add()
    group.wait_balanced()
    run.publish_configs(companies, enabled=True, workers=group)
    computers = mix_computers(n, companies)
    meter = CpuMeter(group.pids() | stack.service_pids)
    run.produce(ALERTS, [rec for _, rec in events.alerts(n, companies, computers)])
    try:
        got = run.wait_count(RESULTS, n, timeout=max(300, n / 5), workers=group)
        cpu_used = meter.used()
        results = run.read(RESULTS)
        if got < n:
            raise RuntimeError(f"only {got}/{n} results: {results.reasons()}")
    finally:
        group.stop_all()
    reasons = results.reasons()
    created = sum(1 for r in results.values if r.get("outcome") == "created")
    by_path = run.halo_requests(companies)
    per_ticket = ms_per(cpu_used, created)
    out = TicketRun(
        results.rate(), created, sum(by_path.values()), reasons, dict(by_path), per_ticket
    )
    print(f"#   tickets x{workers} latency={latency}: {out}", flush=True)
    return out


def halo_ceiling(stack: Stack, n: int, companies: int) -> float:
    """Row 3c: ``n`` creates straight from our Halo client into the run's Halo instances."""
    run = stack.run("haloceiling")
    run.prepare_tenants(companies)
    instances = run.instance_count(companies)
    urls = [run.instance_url(i) for i in range(instances)]
    rate = ceilings.halo_only(urls, max(1, n // instances))
    print(f"#   Halo client -> sandbox only: {rate:,.0f} tickets/s", flush=True)
    return rate


@dataclass
class LatencyRun:
    p50_ms: float
    p99_ms: float
    events: int
    reasons: dict[str, int]
    cpu_ms_per_event: dict[str, float]  # process → CPU milliseconds per paced event


def latency(
    stack: Stack, rate: float, seconds: float, companies: int, enabled: bool, warmup: float
) -> LatencyRun:
    """Produce alerts at a steady ``rate``; latency = result record timestamp - produce time.

    Before the measured ``seconds``, each company gets one alert (tokens, caches, first-ticket
    costs), then ``warmup`` seconds at ``rate`` are sent and not measured: the steady state,
    not the worker settling after the first burst, is what this row reports.
    """
    run = stack.run("latency")
    run.prepare_tenants(companies)
    group = run.workers()
    group.add()
    run.publish_configs(companies, enabled=enabled, workers=group)
    unmeasured, total = int(rate * warmup), int(rate * (warmup + seconds))
    computers = mix_computers(total, companies)
    warm = events.alerts(companies, companies, computers)
    paced = [
        events.alert_record(n, companies, computers) for n in range(companies, companies + total)
    ]
    measured = {event_id for event_id, _ in paced[unmeasured:]}
    try:
        run.produce(ALERTS, [rec for _, rec in warm])
        run.wait_count(RESULTS, companies, timeout=120, workers=group)
        meter = CpuMeter(group.pids() | stack.service_pids)
        sent = asyncio.run(_paced(stack.bootstrap, run.topic(ALERTS), paced, rate))
        run.wait_count(RESULTS, companies + total, timeout=seconds + 300, workers=group)
        cpu = ms_per(meter.used(), total)
    finally:
        group.stop_all()
    results = run.read(RESULTS)
    lat = sorted(
        ts - sent[r["event_id"]]
        for r, ts in zip(results.values, results.timestamps, strict=True)
        if r["event_id"] in measured
    )
    out = LatencyRun(_pct(lat, 50), _pct(lat, 99), len(lat), results.reasons(), cpu)
    print(f"#   latency enabled={enabled}: {out}", flush=True)
    return out


async def _paced(bootstrap: str, topic: str, records: list, rate: float) -> dict[str, float]:
    """Send at ``rate`` records/s, each at its time; returns event_id → send time (epoch ms)."""
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), acks=1, linger_ms=0)
    await producer.start()
    sent: dict[str, float] = {}
    try:
        began = time.monotonic()
        for i, (event_id, (key, value)) in enumerate(records):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[event_id] = time.time() * 1000
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def _pct(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]
