"""Runs every row on one broker and one sandbox, then prints and writes the table."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import statistics
import sys
import time
from datetime import UTC, datetime

from bench import budget, failover, profile, report, scenarios
from bench.infra import ROOT, export_head, kafka, pids_running, sandbox, workdir
from bench.report import Row, at_least, below
from bench.stack import Stack


def run(args: argparse.Namespace) -> None:
    began = time.monotonic()
    with contextlib.ExitStack() as stack:
        path = stack.enter_context(workdir(args.keep))
        bootstrap = stack.enter_context(kafka(path))
        code = export_head(path) if args.code == "HEAD" else ROOT
        sandbox_url = stack.enter_context(sandbox(path, code))
        bench = Stack(bootstrap, sandbox_url, path, args.partitions, code, args.instances)
        bench.service_pids = service_pids(sandbox_url, path)
        if args.profile:
            n = max(args.events, int(args.profile * 1000))
            print(profile.profile_no_ticket(bench, n, args.companies, args.profile, top=25))
            return
        rows, notes = measure(bench, args)
    minutes = (time.monotonic() - began) / 60
    header = describe(args, minutes)
    print("\n" + header + "\n")
    print(report.plain(rows))
    print("\n" + "\n".join(f"- {note}" for note in notes))
    print(f"\nwritten to {report.write(rows, header, notes)}")


def measure(bench: Stack, args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    med = statistics.median
    print(f"# row 1, 2, 6: {args.events} alerts, integration disabled", flush=True)
    no_ticket, consume, passthrough, plain, floor = scenarios.no_ticket(
        bench, args.events, args.companies, ceiling_repeats=args.repeats
    )
    ceiling_a, ceiling_b = med(consume), med(passthrough)
    worker_rate = med(no_ticket.window_rates)

    print(f"# row 3, 5: {args.repeats} x {args.tickets} alerts -> tickets", flush=True)
    tickets = [scenarios.tickets(bench, args.tickets, args.companies) for _ in range(args.repeats)]
    halo_only = [
        scenarios.halo_ceiling(bench, args.tickets, args.companies) for _ in range(args.repeats)
    ]
    print(f"# row 4: {args.latency_rate:.0f} events/s for {args.latency_seconds:.0f}s", flush=True)
    runs = {
        enabled: [
            scenarios.latency(
                bench,
                args.latency_rate,
                args.latency_seconds,
                args.companies,
                enabled,
                args.latency_warmup,
            )
            for _ in range(args.latency_repeats)
        ]
        for enabled in (True, False)
    }
    lat = {enabled: median_run(found) for enabled, found in runs.items()}
    print(f"# scaling: {args.scaling_tickets} tickets, {args.scaling_latency}s latency", flush=True)
    scale = {
        n: scenarios.tickets(
            bench, args.scaling_tickets, args.companies, workers=n, latency=args.scaling_latency
        )
        for n in (1, 2)
    }
    print("# rows 7, 8: alert storms against one Halo instance's budget", flush=True)
    storm7 = budget.storm(
        bench,
        label="storm1",
        companies=1,
        alerts=args.storm_alerts,
        computers=args.storm_alerts // 10,
        workers=1,
        limit=300,
        window=30.0,
    )
    storm8 = budget.storm(
        bench,
        label="storm8",
        companies=8,
        alerts=160,
        computers=80,
        workers=2,
        limit=40,
        window=20.0,
    )
    print(f"# row F: {args.failover_kills} kills per mode, 2 workers", flush=True)
    fail = failover.failover(bench, args.companies, args.failover_kills)
    rows = [
        Row("1a ceiling: aiokafka consume only", ceiling_a, "events/s"),
        Row("1b ceiling: aiokafka passthrough", ceiling_b, "events/s"),
        Row("1c plain faust agent (calibration)", med(plain), "events/s"),
        Row("1c ratio to 1b", med(plain) / ceiling_b, ""),
        Row("1d faust agent that only acks (delivery floor)", floor, "events/s"),
        Row("1d ratio to 1b", floor / ceiling_b, ""),
        Row("2 streamproc, no ticket needed", worker_rate, "events/s"),
        at_least("2 streamproc, no ticket needed (target)", worker_rate, "events/s", 2000),
        Row("2 ratio to 1b", worker_rate / ceiling_b, ""),
        Row("2 ratio to 1a", worker_rate / ceiling_a, ""),
        Row("2 ratio to 1c", worker_rate / med(plain), ""),
        at_least("3 tickets/s per worker", med(t.tickets_per_s for t in tickets), "tickets/s", 300),
        Row("3c ceiling: Halo client -> sandbox only", med(halo_only), "tickets/s"),
        *[
            Row(
                f"3 CPU per ticket: {name}",
                med(t.cpu_ms_per_ticket[name] for t in tickets),
                "ms",
            )
            for name in ("worker1", *bench.service_pids)
        ],
        Row("4 ticket path p50", lat[True].p50_ms, "ms"),
        below("4 ticket path p99", lat[True].p99_ms, "ms", 250),
        Row("4 no-ticket path p50", lat[False].p50_ms, "ms"),
        below("4 no-ticket path p99", lat[False].p99_ms, "ms", 250),
        below(
            "5 Halo requests per ticket",
            med(t.requests_per_ticket for t in tickets),
            "",
            1.2,
            inclusive=True,
        ),
        Row(
            "5 same, without token/authinfo calls",
            med(t.requests_per_ticket_after_auth for t in tickets),
            "",
        ),
        below(f"6 peak RSS after {args.events} alerts", no_ticket.peak_rss_mib, "MiB", 300),
        below("6 restart with that state", no_ticket.restart_seconds, "s", 10),
        Row("S 1 worker, 20 ms Halo latency", scale[1].tickets_per_s, "tickets/s"),
        Row("S 2 workers, 20 ms Halo latency", scale[2].tickets_per_s, "tickets/s"),
        Row("S ratio 2 workers / 1 worker", scale[2].tickets_per_s / scale[1].tickets_per_s, ""),
        below(
            "7 one-company storm: Halo requests per ticket",
            storm7.requests_per_ticket,
            "",
            0.25,
            inclusive=True,
        ),
        Row("7 drain at 300 requests / 30 s", storm7.drain_seconds, "s"),
        below("7 projected drain at 300 / 5 min", storm7.projected_seconds(), "s", 180),
        below("8 shared instance, 2 workers: 429s", storm8.rate_limited, "", 0, inclusive=True),
        below(
            "8 shared instance: Halo requests per ticket",
            storm8.requests_per_ticket,
            "",
            0.75,
            inclusive=True,
        ),
        Row("8 shared instance: drain at 40 requests / 20 s", storm8.drain_seconds, "s"),
        below("8 shared instance: overlapping creates", storm8.overlapped, "", 0, inclusive=True),
        Row("F failover, survivor takes over: p50", med(fail.takeover_s), "s"),
        below(
            "F failover, survivor takes over: p99", max(fail.takeover_s), "s", 15, inclusive=True
        ),
        Row("F failover, victim restarted after 2 s: p50", med(fail.rejoin_s), "s"),
        below(
            "F failover, victim restarted after 2 s: p99",
            max(fail.rejoin_s),
            "s",
            15,
            inclusive=True,
        ),
        Row("F rebalances caused by a restarted worker", fail.rejoin_rebalances, ""),
    ]
    notes = [
        f"1a/1b: medians of {len(consume)}/{len(passthrough)} runs over the same "
        f"{args.events} pre-produced alerts ({args.partitions} partitions); 1b uses send_batch "
        "per partition and awaits each fetch's batches",
        f"1c: `bench/plain_faust.py` (JSON decode, one in-memory table update, one send per "
        f"event: the issue's calibration agent) over the same alerts; median of 5 windows "
        f"{_rates(plain)}",
        "1d: `bench/plain_faust.py` in floor mode: faust delivers each event to an agent that only "
        "acks it; timed inside the agent from its first to its last event",
        f"2: median of 5 windows of one run over the {args.events} alerts "
        f"(windows {_rates(no_ticket.window_rates)}, whole run {no_ticket.rate:,.0f}/s); "
        f"results {no_ticket.reasons}",
        f"3/5: median of {len(tickets)} runs, {args.tickets} new alerts over "
        f"{args.companies} companies spread over {args.instances} Halo instances (sandbox "
        f"tenants; rate limits lifted in the sandbox and the workers); 10% distinct computers; "
        f"runs {_rates([t.tickets_per_s for t in tickets])} tickets/s; 3c (our Halo client "
        f"creating the same number of tickets in the sandbox, no Kafka, creates serialised per "
        f"instance as in the worker) runs {_rates(halo_only)} tickets/s; "
        f"requests/ticket {[round(t.requests_per_ticket, 2) for t in tickets]}; "
        f"requests by path (last run) {tickets[-1].by_path}",
        f"4: one new alert per company first, then {args.latency_rate:.0f}/s: "
        f"{args.latency_warmup:.0f}s not measured, then {args.latency_seconds:.0f}s measured; "
        f"latency = result record timestamp - send time; the run with the median p99 of "
        f"{args.latency_repeats} (p50/p99 ms of each: ticket path "
        f"{[(round(r.p50_ms), round(r.p99_ms)) for r in runs[True]]}, no-ticket path "
        f"{[(round(r.p50_ms), round(r.p99_ms)) for r in runs[False]]}); "
        f"ticket path {lat[True].events} events {lat[True].reasons}; "
        f"no-ticket path {lat[False].events} events {lat[False].reasons}; CPU ms per paced event "
        f"(the paced producer's requests are part of the broker's): ticket path "
        f"{lat[True].cpu_ms_per_event}, no-ticket path {lat[False].cpu_ms_per_event}",
        f"6: VmHWM of the worker after {args.events} alerts; restart = SIGTERM, start, "
        "/health 200, same data dir",
        f"S: {args.scaling_tickets} tickets, latency fault of {args.scaling_latency}s on every "
        f"Halo instance; results {scale[1].reasons} / {scale[2].reasons}",
        f"7: 1 company, {args.storm_alerts} alerts over {args.storm_alerts // 10} computers, one "
        f"Halo instance allowing 300 requests per 30 s (sandbox and worker); {storm7.tickets} "
        f"tickets, {storm7.requests} requests {storm7.by_path}; projection = drain + "
        f"max(0, requests - 300) s",
        f"8: 8 companies on one instance, 2 workers, 160 alerts over 80 computers, 40 requests "
        f"per 20 s counted per instance by the sandbox, creates taking 50 ms and failing when "
        f"they overlap; {storm8.tickets} tickets, {storm8.requests} requests {storm8.by_path}",
        f"F: 2 workers (default session timeout, static membership), 50 alerts/s over "
        f"{args.companies} companies (integration disabled); from a SIGKILL to the first result "
        f"of an event produced after it in a partition the victim held; p99 = the worst of "
        f"{args.failover_kills} kills per mode: takeover "
        f"{[round(s, 1) for s in fail.takeover_s]} s, restart after 2 s "
        f"{[round(s, 1) for s in fail.rejoin_s]} s",
    ]
    return rows, notes


def median_run(found: list[scenarios.LatencyRun]) -> scenarios.LatencyRun:
    """The run whose p99 is the median (the lower middle one of an even number)."""
    return sorted(found, key=lambda r: r.p99_ms)[(len(found) - 1) // 2]


def service_pids(sandbox_url: str, path) -> dict[str, int]:
    """The sandbox's and our broker's pids, to measure their CPU per ticket (none if not ours)."""
    port = sandbox_url.rsplit(":", 1)[1]
    found = {
        "sandbox": pids_running(f"halo-sandbox --port {port}"),
        "broker": pids_running(f"kafka.Kafka {path}"),
    }
    return {name: pids[0] for name, pids in found.items() if len(pids) == 1}


def _rates(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:,.0f}" for v in values) + "]"


def describe(args: argparse.Namespace, minutes: float) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo").read().splitlines()  # noqa: SIM115
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = int(open("/proc/meminfo").read().split()[1]) // 1024  # noqa: SIM115
    command = "python -m bench " + shlex.join(sys.argv[1:])
    return (
        f"streamproc bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.1f} min; "
        f"{os.cpu_count()} CPUs ({cpu}), {mem:,} MiB RAM; code: {args.code}; `{command}`"
    )
