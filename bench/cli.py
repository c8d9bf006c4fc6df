"""Command line: sizes, repeats and which code to run; defaults fit in 15 minutes on 2 cores."""

from __future__ import annotations

import argparse

QUICK = {
    "events": 10_000,
    "repeats": 1,
    "tickets": 400,
    "latency_seconds": 5.0,
    "latency_repeats": 1,
    "scaling_tickets": 200,
    "failover_kills": 2,
    "storm_alerts": 1000,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes, one repeat (~3 minutes)")
    p.add_argument("--events", type=int, default=100_000, help="alerts for rows 1, 2 and 6")
    p.add_argument("--repeats", type=int, default=3, help="repeats of rows 1 and 3 (median)")
    p.add_argument("--companies", type=int, default=200, help="companies (Watchman clients)")
    p.add_argument(
        "--instances",
        type=int,
        default=10,
        help="Halo instances the companies are spread over (an MSP's Halo serves many companies)",
    )
    p.add_argument("--partitions", type=int, default=8, help="partitions of every topic")
    p.add_argument(
        "--tickets", type=int, default=1_800, help="alerts per ticket-path run (row 3/5)"
    )
    p.add_argument("--latency-rate", type=float, default=200.0, help="events/s for row 4")
    p.add_argument("--latency-seconds", type=float, default=15.0, help="paced seconds for row 4")
    p.add_argument(
        "--latency-warmup", type=float, default=3.0, help="paced seconds before row 4 measures"
    )
    p.add_argument("--latency-repeats", type=int, default=3, help="row 4 runs per path (median)")
    p.add_argument("--scaling-tickets", type=int, default=600, help="alerts per 1-vs-2 worker run")
    p.add_argument("--scaling-latency", type=float, default=0.02, help="sandbox latency (s)")
    p.add_argument("--failover-kills", type=int, default=4, help="kills per row F mode")
    p.add_argument("--storm-alerts", type=int, default=1000, help="alerts of row 7's storm")
    p.add_argument(
        "--code",
        choices=("worktree", "HEAD"),
        default="worktree",
        help="run the worker from the working tree or from `git archive HEAD` (read-only)",
    )
    p.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="SECONDS",
        help="only profile the worker on row 2 with py-spy for SECONDS",
    )
    p.add_argument("--keep", action="store_true", help="keep the work dir (logs, state)")
    args = p.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if p.get_default(key) == getattr(args, key):
                setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> None:
    from bench.runner import run

    run(parse(argv))
