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

Definitions: a *raise-cycle* starts with a ``raised`` event and ends with a clear. *Lost*: an
actionable raise-cycle with neither a Halo ticket nor a ``failed`` result for the alert.
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
from streamproc.kafka.broker import BrokerLayout, LocalBroker, free_port
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
    bootstrap = cfg.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        yield bootstrap
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
    tenant_url = {c: f"{sandbox_url}/t/{run}-{c}" for c in companies}
    lifecycles, sequence = build_workload(cfg, companies, rnd)
    log(cfg, f"run {run}: {len(lifecycles)} lifecycles, {len(sequence)} events, workdir {workdir}")

    workers = [
        WorkerProcess(
            bootstrap=bootstrap,
            app_id=run,
            topic_prefix=prefix,
            data_dir=workdir / f"w{i}" / "data",
            log_path=workdir / f"w{i}.log",
            partitions=cfg.partitions,
            extra_env={
                "STREAMPROC_SWEEP_INTERVAL": "10",
                "STREAMPROC_HALO_RETRY_MAX_DELAY": "2",
                "STREAMPROC_HALO_RATE_LIMIT": str(cfg.halo_rate_limit),
            },
        )
        for i in range(cfg.workers)
    ]
    for company in companies:
        sandbox_post(f"{tenant_url[company]}/_sandbox/config", {"rate_limit": cfg.halo_rate_limit})
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
            cfg, prefix, bootstrap, workers, companies, tenant_url, lifecycles, sequence, rnd
        )
        return _experiment(setup)
    finally:
        for w in workers:
            w.stop()


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
    sequence: list[tuple[str, dict[str, Any]]]
    rnd: random.Random


def _experiment(s: Setup) -> Report:
    cfg, prefix, bootstrap, workers, companies = (
        s.cfg,
        s.prefix,
        s.bootstrap,
        s.workers,
        s.companies,
    )
    tenant_url, lifecycles, sequence, rnd = s.tenant_url, s.lifecycles, s.sequence, s.rnd
    faulty = (
        companies[: max(1, round(len(companies) * cfg.faulty_ratio))] if cfg.faulty_ratio else []
    )
    stop = threading.Event()
    kills: list[str] = []
    fault_counts: Counter[str] = Counter()

    def killer() -> None:
        while not stop.wait(cfg.kill_every):
            victim = rnd.choice(workers)
            if victim.proc is None or victim.proc.poll() is not None:
                continue
            victim.stop(signal.SIGKILL)
            kills.append(f"{time.strftime('%H:%M:%S')} {victim.url}")
            log(cfg, f"SIGKILL {victim.url} (kill #{len(kills)})")
            time.sleep(rnd.uniform(0.2, 1.5))
            victim.start(wait=False)

    def faults() -> None:
        from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID

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

    duration = cfg.duration if cfg.duration is not None else max(10.0, cfg.lifecycles / 10)
    threads = [threading.Thread(target=faults, daemon=True)]
    if cfg.kills and cfg.kill_every > 0:
        threads.append(threading.Thread(target=killer, daemon=True))
    for t in threads:
        t.start()
    started = time.monotonic()
    records = [
        (f"{prefix}{topic}", e["company_id"].encode(), json.dumps(e).encode())
        for topic, e in sequence
    ]
    asyncio.run(_produce(bootstrap, records, duration=duration))
    log(cfg, f"produced {len(records)} events in {time.monotonic() - started:.1f}s")
    stop.set()
    for t in threads:
        t.join(timeout=60)
    # Clear faults so that the tail drains; then wait for quiescence.
    for company in faulty:
        with contextlib.suppress(Exception):
            urllib.request.urlopen(
                urllib.request.Request(f"{tenant_url[company]}/_sandbox/faults", method="DELETE"),
                timeout=10,
            ).read()
    for w in workers:
        if w.proc is None or w.proc.poll() is not None:
            w.start(wait=False)
    expected_ids = {e["event_id"] for _, e in sequence}
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
                kills.append(f"{time.strftime('%H:%M:%S')} {w.url} EXITED {w.proc.returncode}")
                log(cfg, f"worker {w.url} exited by itself ({w.proc.returncode}); restarting")
                w.start(wait=False)
        time.sleep(2)
    log(cfg, f"quiescent after {time.monotonic() - started:.1f}s total")
    report = check(
        cfg, bootstrap, prefix, tenant_url, lifecycles, sequence, kills, fault_counts, workers
    )
    report.numbers["elapsed_s"] = round(time.monotonic() - started)
    return report


async def _produce(
    bootstrap: str, records: list[tuple[str, bytes, bytes]], duration: float = 0
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        interval = duration / max(1, len(records))
        futures = []
        for i, (topic, key, value) in enumerate(records):
            if interval:
                delay = start + i * interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            futures.append(await producer.send(topic, value, key=key))
        for f in futures:
            await f
    finally:
        await producer.stop()


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
    for company, url in tenant_url.items():
        for t in _tickets(url):
            owner = ref_owner.get(t.get("supplier_reference") or "")
            if owner is None or owner[0] != company:
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
    n["kills"] = sum(1 for k in kills if "EXITED" not in k)
    n["self_exits"] = sum(1 for k in kills if "EXITED" in k)
    d["kills"] = kills
    d["faults_injected"] = [f"{k}: {v}" for k, v in fault_counts.most_common()]
    d["dead_letters"] = [f"{x['error_kind']}: {x['error'][:200]}" for x in letters[:10]]
    d["worker_errors"] = _worker_errors(workers)

    lines = report.lines
    lines.append("=" * 72)
    lines.append(
        f"CHAOS SUMMARY  workers={cfg.workers} companies={cfg.companies} "
        f"lifecycles={cfg.lifecycles} kill_every={cfg.kill_every}s"
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
