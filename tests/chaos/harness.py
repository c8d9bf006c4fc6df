"""Chaos harness: several workers in one group, many tenants, faults in Halo, SIGKILLs, then checks.

What it does (see ``python -m tests.chaos --help``):

1. a Kafka broker (``--bootstrap``/``KAFKA_BOOTSTRAP_SERVERS``, else a LocalBroker in a temp dir),
   a HaloPSA sandbox subprocess (or ``--sandbox URL``), N workers sharing one app id;
2. one integration config per company, each on its own sandbox tenant ``/t/<run>-cNN``;
3. alert lifecycles (raise, repeated raises/updates, clear/resolve; some re-raised after the clear;
   some hidden or muted; some left open) and manual warnings, interleaved and produced at a steady
   rate; a killer SIGKILLs a random worker every ``--kill-every`` seconds and restarts it; a fault
   task injects 5xx (503 retried, 500 ambiguous), latency, 429s and ``lost_reply`` creates;
4. after quiescence (all workers healthy, no new results for ``--quiet`` seconds) it reads every
   output topic and every tenant's tickets and prints a summary (see :class:`Report`).

With ``storm_kills`` the run ends in a *rebalance storm*: that many SIGKILLs closer together than
the workers' session timeout, the last one right after the last event is produced, each victim
restarted ``restart_after`` seconds later (a crash-looping worker, a rolling deploy gone wrong).
The ``storm`` workload is the shape that once lost events there: 5 companies, each alert raised,
half of them raised again, and cleared 6-10 s later; three companies share one Halo instance, one
instance loses 10 % of create replies and one answers 503 for 15 s.

Definitions: a *raise-cycle* starts with a ``raised`` event and ends with a clear. *Lost*: an
actionable raise-cycle with neither a Halo ticket nor a ``failed`` result for the alert.
*Failover*: for each kill, the time from the kill to the first result of an event produced after
it in a partition the victim held.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from streamproc.contracts import encode
from streamproc.core.manual import warning_intent_key
from streamproc.core.state import intent_key
from streamproc.halo_sandbox.process import sandbox_process
from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID
from streamproc.kafka.broker import BrokerLayout, LocalBroker, free_port
from streamproc.kafka.connection import KafkaConnection, client_kwargs
from tests.chaos.kafka_util import read_topics
from tests.support.scenario import alert_event, warning_event
from tests.support.worker import WorkerProcess, http_get, wait_configured

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@dataclass
class ChaosConfig:
    workers: int = 3
    companies: int = 20
    lifecycles: int = 5000
    kill_every: float = 5.0
    duration: float | None = None  # seconds to produce over; default: lifecycles / 10
    partitions: int = 6
    quiet: float = 15.0
    max_wait: float = 600.0
    seed: int = 1
    warning_ratio: float = 0.1
    faulty_ratio: float = 0.4  # share of tenants that get faults
    halo_rate_limit: int = 300  # per tenant per 5 minutes, in the sandbox and the workers' limiter
    kills: bool = True
    workload: str = "mixed"  # "mixed" (build_workload) | "storm" (build_storm_workload)
    storm_kills: int = 0  # kills closer together than the session timeout, ending the run
    storm_gap: tuple[float, float] = (8.0, 10.0)
    restart_after: tuple[float, float] = (0.2, 1.5)
    session_timeout: float | None = None  # None: the workers' own default
    standby_replicas: int | None = None  # None: the workers' own default
    sweep_interval: float | None = 10.0  # None: the workers' own default
    retry_max_delay: float | None = 2.0  # None: the workers' own default
    bootstrap: str | None = None
    sandbox: str | None = None
    workdir: Path | None = None
    verbose: bool = True


# ------------------------------------------------------------------------ the workload


@dataclass
class Lifecycle:
    company: str
    ident: str  # alert id or warning id
    kind: str  # "alert" | "warning"
    actionable: bool
    cycles: int = 1
    ends_cleared: bool = True
    events: list[dict[str, Any]] = field(default_factory=list)


def build_workload(
    cfg: ChaosConfig, companies: list[str], rnd: random.Random
) -> tuple[list[Lifecycle], list[tuple[str, dict[str, Any]]]]:
    """Lifecycles and the interleaved (topic, event) sequence (per-alert order kept)."""
    lifecycles: list[Lifecycle] = []
    plans: list[list[tuple[str, bool, bool]]] = []  # per lifecycle: (event type, visible, muted)
    for i in range(cfg.lifecycles):
        company = companies[i % len(companies)]
        if rnd.random() < cfg.warning_ratio:
            lifecycles.append(Lifecycle(company, f"w-{i}", "warning", True))
            plans.append([("warning", True, False)])
            continue
        visible = rnd.random() > 0.05
        muted = rnd.random() < 0.05
        cycles = 2 if rnd.random() < 0.15 else 1
        ends_cleared = rnd.random() < 0.85
        plan: list[tuple[str, bool, bool]] = []
        for c in range(cycles):
            plan.append(("raised", visible, muted))
            plan += [
                (rnd.choice(["raised", "updated"]), visible, muted)
                for _ in range(rnd.randint(0, 3))
            ]
            if c < cycles - 1 or ends_cleared:
                plan.append((rnd.choice(["cleared", "cleared", "resolved"]), visible, muted))
        lifecycles.append(
            Lifecycle(company, f"a-{i}", "alert", visible and not muted, cycles, ends_cleared)
        )
        plans.append(plan)
    # Interleave: a window of concurrently active lifecycles, each advancing one event at a time.
    sequence: list[tuple[str, dict[str, Any]]] = []
    pending = list(range(len(lifecycles)))
    active: list[int] = []
    cursor = [0] * len(lifecycles)
    step = 0
    while pending or active:
        while pending and len(active) < 40:
            active.append(pending.pop(0))
        index = rnd.choice(active)
        life, (etype, visible, muted) = lifecycles[index], plans[index][cursor[index]]
        at = T0 + timedelta(seconds=step)
        step += 1
        if etype == "warning":
            event = warning_event(life.company, life.ident, at)
            sequence.append(("watchman.manual-warnings", event))
        else:
            event = alert_event(
                life.company,
                life.ident,
                etype,
                at=at,
                visible=visible,
                muted=muted,
                watchman_id=f"wm-{life.ident}",
                computer_name=f"Mac {life.ident}",
            )
            sequence.append(("watchman.alerts", event))
        life.events.append(event)
        cursor[index] += 1
        if cursor[index] == len(plans[index]):
            active.remove(index)
    return lifecycles, sequence


Timed = list[tuple[float, str, dict[str, Any]]]  # (seconds after the start, topic, event)


def spread(sequence: list[tuple[str, dict[str, Any]]], duration: float) -> Timed:
    """``sequence`` produced at a steady rate over ``duration`` seconds."""
    step = duration / max(1, len(sequence))
    return [(i * step, topic, event) for i, (topic, event) in enumerate(sequence)]


def build_storm_workload(
    cfg: ChaosConfig, companies: list[str], rnd: random.Random
) -> tuple[list[Lifecycle], Timed]:
    """Each alert raised, half raised again, cleared 6-10 s later; the last clear ends the run."""
    duration = cfg.duration if cfg.duration is not None else 40.0
    lifecycles: list[Lifecycle] = []
    timed: Timed = []
    for i in range(cfg.lifecycles):
        life = Lifecycle(companies[i % len(companies)], f"s-{i}", "alert", True)
        raised_at = rnd.uniform(0, duration - 10)
        plan = [(raised_at, "raised")]
        if i % 2:
            plan.append((raised_at + rnd.uniform(0.5, 5.5), "raised"))
        plan.append((raised_at + rnd.uniform(6, 10), "cleared"))
        for at, etype in plan:
            event = alert_event(
                life.company,
                life.ident,
                etype,
                at=T0 + timedelta(seconds=at),
                watchman_id=f"wm-{life.ident}",
                computer_name=f"Mac {life.ident}",
                serial=f"SN-{life.ident}",
            )
            life.events.append(event)
            timed.append((at, "watchman.alerts", event))
        lifecycles.append(life)
    timed.sort(key=lambda item: item[0])
    return lifecycles, timed


def kill_plan(cfg: ChaosConfig, duration: float, rnd: random.Random) -> list[float]:
    """Seconds after the start of production at which a worker is killed.

    Every ``kill_every`` seconds, then the storm: ``storm_kills`` kills ``storm_gap`` apart, the
    last one just after the last event was produced (its partitions' tail is in flight).
    """
    storm: list[float] = []
    at = duration + 0.3
    for _ in range(cfg.storm_kills):
        storm.append(at)
        at -= rnd.uniform(*cfg.storm_gap)
    storm = sorted(t for t in storm if t >= 1.0)
    regular: list[float] = []
    if cfg.kills and cfg.kill_every > 0:
        end = (storm[0] - cfg.kill_every) if storm else duration
        at = cfg.kill_every
        while at <= end:
            regular.append(at)
            at += cfg.kill_every
    return regular + storm


def instances(cfg: ChaosConfig, run: str, companies: list[str]) -> dict[str, str]:
    """company → Halo instance (sandbox tenant) name."""
    if cfg.workload == "storm" and len(companies) >= 3:
        names = {c: f"{run}-shared" for c in companies[:-2]}
        return {**names, companies[-2]: f"{run}-lossy", companies[-1]: f"{run}-flaky"}
    return {c: f"{run}-{c}" for c in companies}


# ------------------------------------------------------------------------ infrastructure


@contextlib.contextmanager
def sandbox(cfg: ChaosConfig, workdir: Path):
    """``--sandbox URL`` if given, else a sandbox subprocess of our own."""
    if cfg.sandbox:
        yield cfg.sandbox
        return
    with sandbox_process(workdir / "sandbox.log") as url:
        yield url


def sandbox_post(url: str, body: Any) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


@contextlib.contextmanager
def kafka(cfg: ChaosConfig, workdir: Path):
    if cfg.bootstrap:
        yield cfg.bootstrap
        return
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield KafkaConnection()  # with that cluster's KAFKA_* settings (TLS, SASL)
        return
    layout = BrokerLayout(
        home=workdir / "kafka",
        port=free_port(),
        controller_port=free_port(),
        partitions=cfg.partitions,
        libs_dir=REPO / ".cache" / "kafka" / "libs",
    )
    broker = LocalBroker(layout)
    broker.start(timeout=120)
    try:
        yield layout.bootstrap
    finally:
        broker.stop()


# ------------------------------------------------------------------------ the run


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)
    details: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        n = self.numbers
        return (
            n.get("duplicate_tickets", 0) == 0
            and n.get("lost", 0) == 0
            and n.get("missing_results", 0) == 0
            and n.get("open_after_clear", 0) == 0
            and n.get("warning_duplicates", 0) == 0
            and n.get("warnings_lost", 0) == 0
        )

    def text(self) -> str:
        return "\n".join(self.lines)


def log(cfg: ChaosConfig, message: str) -> None:
    if cfg.verbose:
        print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_chaos(cfg: ChaosConfig) -> Report:
    """Run one chaos experiment and return its report (never raises on a failed check)."""
    own_dir = cfg.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="chaos-")) if own_dir else cfg.workdir
    assert workdir is not None
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with kafka(cfg, workdir) as bootstrap, sandbox(cfg, workdir) as sandbox_url:
            return _run(cfg, workdir, bootstrap, sandbox_url)
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(cfg: ChaosConfig, workdir: Path, bootstrap: str, sandbox_url: str) -> Report:
    from tests.e2e.conftest import halo_config  # the same config the e2e tests use

    rnd = random.Random(cfg.seed)
    run = f"chaos-{uuid.uuid4().hex[:8]}"
    prefix = f"{run}."
    companies = [f"c{i:02d}" for i in range(cfg.companies)]
    names = instances(cfg, run, companies)
    tenant_url = {c: f"{sandbox_url}/t/{name}" for c, name in names.items()}
    if cfg.workload == "storm":
        lifecycles, timed = build_storm_workload(cfg, companies, rnd)
    else:
        lifecycles, sequence = build_workload(cfg, companies, rnd)
        duration = cfg.duration if cfg.duration is not None else max(10.0, cfg.lifecycles / 10)
        timed = spread(sequence, duration)
    log(cfg, f"run {run}: {len(lifecycles)} lifecycles, {len(timed)} events, workdir {workdir}")

    workers = [
        WorkerProcess(
            bootstrap=bootstrap,
            app_id=run,
            topic_prefix=prefix,
            data_dir=workdir / f"w{i}" / "data",
            log_path=workdir / f"w{i}.log",
            partitions=cfg.partitions,
            session_timeout=cfg.session_timeout,
            standby_replicas=cfg.standby_replicas,
            extra_env=_worker_env(cfg),
        )
        for i in range(cfg.workers)
    ]
    for url in set(tenant_url.values()):
        sandbox_post(f"{url}/_sandbox/config", {"rate_limit": cfg.halo_rate_limit})
    try:
        for w in workers:
            w.start(wait=False)
        for w in workers:
            w.wait_ready(timeout=120)
        log(cfg, f"{len(workers)} workers ready")
        configs = [(c.encode(), encode(halo_config(c, tenant_url[c]))) for c in companies]
        asyncio.run(
            _produce(bootstrap, [(f"{prefix}halopsa.integration-config", k, v) for k, v in configs])
        )
        wait_configured(workers[0], *companies, timeout=60)  # forwarded to each owner
        setup = Setup(
            cfg, prefix, bootstrap, workers, companies, tenant_url, lifecycles, timed, rnd
        )
        return _experiment(setup)
    finally:
        for w in workers:
            w.stop()


def _worker_env(cfg: ChaosConfig) -> dict[str, str]:
    env = {"STREAMPROC_HALO_RATE_LIMIT": str(cfg.halo_rate_limit)}
    if cfg.sweep_interval is not None:
        env["STREAMPROC_SWEEP_INTERVAL"] = str(cfg.sweep_interval)
    if cfg.retry_max_delay is not None:
        env["STREAMPROC_HALO_RETRY_MAX_DELAY"] = str(cfg.retry_max_delay)
    return env


@dataclass
class Setup:
    """What one run is made of once its workers are up and its companies configured."""

    cfg: ChaosConfig
    prefix: str
    bootstrap: str
    workers: list[WorkerProcess]
    companies: list[str]
    tenant_url: dict[str, str]
    lifecycles: list[Lifecycle]
    timed: Timed
    rnd: random.Random


@dataclass
class Kill:
    at: float  # wall clock
    victim: str
    partitions: frozenset[int]  # of the alerts topic, as the victim's /health said before
    exited_by_itself: bool = False


def _assigned(worker: WorkerProcess, topic: str) -> frozenset[int]:
    with contextlib.suppress(Exception):
        return frozenset(worker.assigned(topic))
    return frozenset()


def _experiment(s: Setup) -> Report:
    cfg, prefix, bootstrap, workers = s.cfg, s.prefix, s.bootstrap, s.workers
    tenant_url, lifecycles, timed, rnd = s.tenant_url, s.lifecycles, s.timed, s.rnd
    alerts_topic = f"{prefix}watchman.alerts"
    faulty = _faulty(cfg, s.companies, tenant_url)
    stop = threading.Event()
    kills: list[Kill] = []
    fault_counts: Counter[str] = Counter()
    duration = max((at for at, _, _ in timed), default=0.0)
    plan = kill_plan(cfg, duration, rnd)
    started_at = time.time()

    def killer() -> None:
        for at in plan:
            if stop.wait(max(0.0, started_at + at - time.time())):
                return
            alive = [w for w in workers if w.proc is not None and w.proc.poll() is None]
            if not alive:
                continue
            victim = rnd.choice(alive)
            held = _assigned(victim, alerts_topic)
            victim.stop(signal.SIGKILL)
            kills.append(Kill(time.time(), victim.url, held))
            log(cfg, f"SIGKILL {victim.url} holding {sorted(held)} (kill #{len(kills)})")
            time.sleep(rnd.uniform(*cfg.restart_after))
            victim.start(wait=False)

    def faults() -> None:
        if cfg.workload == "storm":
            return _storm_faults(cfg, tenant_url, s.companies, stop, fault_counts, started_at)
        kinds = [
            {"kind": "error5xx", "status": 503, "count": 2},
            {"kind": "error5xx", "status": 500, "count": 1, "path": "Tickets", "method": "POST"},
            {"kind": "latency", "seconds": 0.5, "count": 4},
            {"kind": "rate_limit", "count": 2},
            {"kind": "lost_reply", "count": 1, "path": "Tickets", "method": "POST"},
        ]
        while not stop.wait(2.0):
            for company in faulty:
                if rnd.random() < 0.5:
                    continue
                fault = dict(rnd.choice(kinds), client_id=DEMO_CLIENT_ID)
                with contextlib.suppress(Exception):
                    sandbox_post(f"{tenant_url[company]}/_sandbox/faults", fault)
                    fault_counts[f"{fault['kind']}{fault.get('status', '')}"] += 1

    fault_thread = threading.Thread(target=faults, daemon=True)
    kill_thread = threading.Thread(target=killer, daemon=True)
    fault_thread.start()
    kill_thread.start()
    produced = asyncio.run(_produce_timed(bootstrap, prefix, timed, started_at))
    log(cfg, f"produced {len(timed)} events in {time.time() - started_at:.1f}s")
    kill_thread.join()  # the storm's last kill comes just after the last event
    stop.set()
    fault_thread.join(timeout=60)
    # Clear faults so that the tail drains; then wait for quiescence.
    for url in set(tenant_url.values()):
        with contextlib.suppress(Exception):
            urllib.request.urlopen(
                urllib.request.Request(f"{url}/_sandbox/faults", method="DELETE"), timeout=10
            ).read()
    for w in workers:
        if w.proc is None or w.proc.poll() is not None:
            w.start(wait=False)
    expected_ids = {e["event_id"] for _, _, e in timed}
    quiet_since, last_count, waited_from = time.monotonic(), -1, time.monotonic()
    while True:
        results = [
            r.json() for r in read_topics(bootstrap, [f"{prefix}halopsa.ticket-results"], idle=0.7)
        ]
        have = {r["event_id"] for r in results if isinstance(r, dict)}
        healthy = all(http_get(f"{w.url}/health")[0] == 200 for w in workers)
        if len(results) != last_count:
            last_count, quiet_since = len(results), time.monotonic()
        done = expected_ids <= have
        if healthy and (done or time.monotonic() - quiet_since > cfg.quiet):
            break
        if time.monotonic() - waited_from > cfg.max_wait:
            log(cfg, "max wait reached before quiescence")
            break
        for w in workers:  # a worker that died on its own is restarted (and counted)
            if w.proc is not None and w.proc.poll() is not None:
                kills.append(Kill(time.time(), w.url, frozenset(), exited_by_itself=True))
                log(cfg, f"worker {w.url} exited by itself ({w.proc.returncode}); restarting")
                w.start(wait=False)
        time.sleep(2)
    log(cfg, f"quiescent after {time.time() - started_at:.1f}s total")
    sequence = [(topic, event) for _, topic, event in timed]
    report = check(
        cfg, bootstrap, prefix, tenant_url, lifecycles, sequence, kills, fault_counts, workers
    )
    clean = {e["event_id"] for _, _, e in timed if e["company_id"] not in faulty}
    _failover(report, kills, {k: p for k, p in produced.items() if k in clean}, bootstrap, prefix)
    report.numbers["elapsed_s"] = round(time.time() - started_at)
    return report


def _faulty(cfg: ChaosConfig, companies: list[str], tenant_url: dict[str, str]) -> list[str]:
    """The companies whose Halo gets faults (the storm's: see ``_storm_faults``)."""
    if cfg.workload == "storm":
        return companies[-2:] if len(companies) >= 3 else []
    if not cfg.faulty_ratio:
        return []
    return companies[: max(1, round(len(companies) * cfg.faulty_ratio))]


def _storm_faults(cfg, tenant_url, companies, stop, fault_counts, started_at) -> None:
    """One instance loses 10 % of create replies throughout; one answers 503 for 15 s."""
    if len(companies) < 3:
        return
    lossy, flaky = tenant_url[companies[-2]], tenant_url[companies[-1]]
    lost = {"kind": "lost_reply", "probability": 0.1, "count": None, "path": "Tickets"}
    with contextlib.suppress(Exception):
        sandbox_post(f"{lossy}/_sandbox/faults", lost)
        fault_counts["lost_reply 10 %"] += 1
    if stop.wait(max(0.0, started_at + 10 - time.time())):
        return
    outage = {"kind": "error5xx", "status": 503, "count": None, "for_seconds": 15}
    with contextlib.suppress(Exception):
        sandbox_post(f"{flaky}/_sandbox/faults", outage)
        fault_counts["error503 for 15 s"] += 1


@dataclass(frozen=True)
class Produced:
    at: float  # wall clock when handed to the producer
    partition: int


async def _produce_timed(
    bootstrap: str, prefix: str, timed: Timed, started_at: float
) -> dict[str, Produced]:
    """Produce each event at its time; event id → when and to which partition."""
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), acks="all", linger_ms=5)
    await producer.start()
    sent: list[tuple[str, float, asyncio.Future[Any]]] = []
    try:
        for at, topic, event in timed:
            delay = started_at + at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            value = json.dumps(event).encode()
            key = event["company_id"].encode()
            future = await producer.send(f"{prefix}{topic}", value, key=key)
            sent.append((event["event_id"], time.time(), future))
        return {eid: Produced(at, (await f).partition) for eid, at, f in sent}
    finally:
        await producer.stop()


async def _produce(bootstrap: str, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), acks="all", linger_ms=5)
    await producer.start()
    try:
        for topic, key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def _failover(report: Report, kills, produced, bootstrap: str, prefix: str) -> None:
    """Kill → first result of an event produced after it in a partition the victim held.

    ``produced`` holds the events of companies whose Halo gets no injected faults: a 429 makes
    a company's lane wait 30 s, which says nothing about failover.
    """
    first_result: dict[str, float] = {}
    for r in read_topics(bootstrap, [f"{prefix}halopsa.ticket-results"], idle=1.0, limit_s=60):
        value = r.json()
        if isinstance(value, dict) and "event_id" in value:
            at = r.timestamp_ms / 1000
            first_result[value["event_id"]] = min(first_result.get(value["event_id"], at), at)
    samples: list[float] = []
    lines = []
    for kill in kills:
        if kill.exited_by_itself or not kill.partitions:
            continue
        after = [
            first_result[eid] - kill.at
            for eid, p in produced.items()
            if p.partition in kill.partitions and p.at >= kill.at and eid in first_result
        ]
        if after:
            samples.append(min(after))
            lines.append(f"{kill.victim} held {sorted(kill.partitions)}: {min(after):.1f} s")
    samples.sort()
    n = report.numbers
    n["failover_samples"] = len(samples)
    if samples:
        n["failover_p50_ms"] = round(1000 * samples[len(samples) // 2])
        n["failover_p99_ms"] = round(1000 * _p99(samples))
        n["failover_max_ms"] = round(1000 * samples[-1])
    report.details["failover"] = lines
    report.lines[-1:-1] = [
        f"  {'failover (kill → next result)':<38} {_summary(samples)}",
        *(f"     {line}" for line in lines),
    ]


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    median = samples[len(samples) // 2]
    return f"p50 {median:.1f} s, p99 {_p99(samples):.1f} s over {len(samples)} kills"


# ------------------------------------------------------------------------ the checks


def _tickets(url: str) -> list[dict[str, Any]]:
    status, body = http_get(f"{url}/_sandbox/tickets")
    if status != 200:
        raise RuntimeError(f"{url}: {status} {body}")
    return body["tickets"] if isinstance(body, dict) else body


def check(
    cfg, bootstrap, prefix, tenant_url, lifecycles, sequence, kills, fault_counts, workers
) -> Report:
    report = Report()
    n, d = report.numbers, report.details
    raw = read_topics(
        bootstrap,
        [
            f"{prefix}halopsa.ticket-results",
            f"{prefix}watchman.alert-commands",
            f"{prefix}streamproc.dead-letter",
        ],
        idle=1.5,
        limit_s=120,
    )
    results = [r.json() for r in raw if r.topic.endswith("ticket-results")]
    commands = [r.json() for r in raw if r.topic.endswith("alert-commands")]
    letters = [r.json() for r in raw if r.topic.endswith("dead-letter")]
    by_event: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_event[r["event_id"]].append(r)
    event_ids = [e["event_id"] for _, e in sequence]

    # -- results: exactly one per input event
    missing = [e for e in event_ids if e not in by_event]
    dup = {e: v for e, v in by_event.items() if len(v) > 1}
    conflicting = {
        e: v for e, v in dup.items() if len({(r["outcome"], r["reason"]) for r in v}) > 1
    }
    unknown = [e for e in by_event if e not in set(event_ids)]
    n["events"] = len(event_ids)
    n["results"] = len(results)
    n["missing_results"] = len(missing)
    n["duplicate_results"] = len(dup)
    n["conflicting_duplicate_results"] = len(conflicting)
    n["results_for_unknown_events"] = len(unknown)
    event_where = {e["event_id"]: (life, e) for life in lifecycles for e in life.events}
    d["missing_results"] = [
        "{}/{} {} {}".format(
            event_where[e][0].company,
            event_where[e][0].ident,
            event_where[e][1].get("event_type", "warning"),
            e,
        )
        for e in missing[:30]
    ]
    d["conflicting_duplicate_results"] = [
        f"{e}: {[(r['outcome'], r['reason'], r.get('halo_ticket_id')) for r in v]}"
        for e, v in list(conflicting.items())[:20]
    ]
    outcomes = Counter((r["outcome"], r["reason"]) for r in results)
    report.details["outcomes"] = [f"{o}/{r}: {c}" for (o, r), c in outcomes.most_common()]

    # -- tickets per alert / warning (by supplier_reference intent key)
    ref_owner: dict[str, tuple[str, str]] = {}
    for life in lifecycles:
        if life.kind == "alert":
            for attempt in range(1, 3 * (len(life.events) + 2)):
                ref_owner[intent_key(life.company, life.ident, attempt)] = (
                    life.company,
                    life.ident,
                )
        else:
            ref_owner[warning_intent_key(life.company, life.ident)] = (life.company, life.ident)
    tickets: dict[tuple[str, str], list[dict]] = defaultdict(list)
    strangers = 0
    companies_at: dict[str, set[str]] = defaultdict(set)  # Halo instance → its companies
    for company, url in tenant_url.items():
        companies_at[url].add(company)
    for url, owners in companies_at.items():
        for t in _tickets(url):
            owner = ref_owner.get(t.get("supplier_reference") or "")
            if owner is None or owner[0] not in owners:
                strangers += 1
            else:
                tickets[owner].append(t)
    n["tickets_total"] = sum(map(len, tickets.values())) + strangers
    n["tickets_not_ours"] = strangers

    def is_closed(t: dict) -> bool:
        return bool(t.get("hasbeenclosed")) or t.get("status_id") == 9 or bool(t.get("deleted"))

    dup_tickets = lost = failed_no_ticket = open_after_clear = unexpected = still_open_ok = 0
    open_after_failed_close = 0
    wdup = wlost = wfailed = 0
    d["duplicate_tickets"], d["lost"], d["open_after_clear"], d["unexpected_tickets"] = (
        [],
        [],
        [],
        [],
    )
    mutes_by_ticket: Counter[tuple[str, str, int]] = Counter()
    unmutes = 0
    for c in commands:
        if c["command"] == "mute":
            mutes_by_ticket[(c["company_id"], c["alert_id"], c["halo_ticket_id"])] += 1
        else:
            unmutes += 1
    no_mute = dup_mute = 0
    actionable_cycles = 0
    for life in lifecycles:
        key = (life.company, life.ident)
        found = tickets.get(key, [])
        life_results = [r for e in life.events for r in by_event.get(e["event_id"], [])]
        any_failed = any(r["outcome"] == "failed" for r in life_results)
        if life.kind == "warning":
            if len(found) > 1:
                wdup += 1
            if not found:
                if any_failed:
                    wfailed += 1
                else:
                    wlost += 1
            continue
        if not life.actionable:
            if found:
                unexpected += 1
                d["unexpected_tickets"].append(f"{key}: {[t['id'] for t in found]}")
            continue
        actionable_cycles += life.cycles
        if len(found) > life.cycles:
            dup_tickets += len(found) - life.cycles
            d["duplicate_tickets"].append(
                f"{key} cycles={life.cycles} tickets="
                f"{[(t['id'], t.get('supplier_reference')) for t in found]}"
            )
        if len(found) < life.cycles:
            if any_failed:
                failed_no_ticket += life.cycles - len(found)
            else:
                lost += life.cycles - len(found)
                d["lost"].append(
                    f"{key} cycles={life.cycles} tickets={[t['id'] for t in found]} results="
                    f"{[(r['outcome'], r['reason']) for r in life_results]}"
                )
        open_ones = [t for t in found if not is_closed(t)]
        last_failed = any(
            r["outcome"] == "failed" for r in by_event.get(life.events[-1]["event_id"], [])
        )
        if life.ends_cleared and open_ones and last_failed:
            open_after_failed_close += len(open_ones)  # visible: the clear got a failed result
        elif life.ends_cleared and open_ones:
            open_after_clear += len(open_ones)
            last = life.events[-1]["event_id"]
            d["open_after_clear"].append(
                f"{key} open={[t['id'] for t in open_ones]} last-event result="
                f"{[(r['outcome'], r['reason']) for r in by_event.get(last, [])]} all="
                f"{[(r['outcome'], r['reason']) for r in life_results]}"
            )
        if not life.ends_cleared and len(open_ones) <= 1:
            still_open_ok += 1
        for t in found:
            m = mutes_by_ticket.get((life.company, life.ident, t["id"]), 0)
            if m == 0 and not (life.ends_cleared and is_closed(t)):
                no_mute += 1  # an open ticket on an active alert must have muted it
            if m > 1:
                dup_mute += 1
    n["actionable_raise_cycles"] = actionable_cycles
    n["duplicate_tickets"] = dup_tickets
    n["lost"] = lost
    n["cycles_failed_without_ticket"] = failed_no_ticket
    n["open_after_clear"] = open_after_clear
    n["open_after_failed_close"] = open_after_failed_close
    n["tickets_for_non_actionable_alerts"] = unexpected
    n["warnings"] = sum(1 for life in lifecycles if life.kind == "warning")
    n["warning_duplicates"] = wdup
    n["warnings_lost"] = wlost
    n["warnings_failed_without_ticket"] = wfailed
    n["mute_commands"] = sum(mutes_by_ticket.values())
    n["open_tickets_without_mute"] = no_mute
    n["tickets_with_duplicate_mutes"] = dup_mute
    n["unmute_commands"] = unmutes
    n["dead_letters"] = len(letters)
    n["kills"] = sum(1 for k in kills if not k.exited_by_itself)
    n["self_exits"] = sum(1 for k in kills if k.exited_by_itself)
    d["kills"] = [
        f"{time.strftime('%H:%M:%S', time.localtime(k.at))} {k.victim}"
        + (" EXITED" if k.exited_by_itself else f" held {sorted(k.partitions)}")
        for k in kills
    ]
    d["faults_injected"] = [f"{k}: {v}" for k, v in fault_counts.most_common()]
    d["dead_letters"] = [f"{x['error_kind']}: {x['error'][:200]}" for x in letters[:10]]
    d["worker_errors"] = _worker_errors(workers)

    lines = report.lines
    lines.append("=" * 72)
    lines.append(
        f"CHAOS SUMMARY  workers={cfg.workers} companies={cfg.companies} "
        f"lifecycles={cfg.lifecycles} kill_every={cfg.kill_every}s "
        f"storm_kills={cfg.storm_kills} workload={cfg.workload}"
    )
    lines.append("-" * 72)
    for k, v in n.items():
        lines.append(f"  {k:<38} {v}")
    lines.append(f"  {'VERDICT':<38} {'PASS' if report.ok else 'FAIL'}")
    for k, v in d.items():
        if v:
            lines.append(f"-- {k} ({len(v)}):")
            lines += [f"     {x}" for x in v[:15]]
    lines.append("=" * 72)
    return report


def _worker_errors(workers) -> list[str]:
    out: Counter[str] = Counter()
    for w in workers:
        try:
            text = w.log_path.read_text(errors="replace")
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            if "[ERROR]" in line or "[CRITICAL]" in line or "possible_duplicate" in line:
                out[line.split("]", 3)[-1].strip()[:160]] += 1
    return [f"{c}x {m}" for m, c in out.most_common(12)]
