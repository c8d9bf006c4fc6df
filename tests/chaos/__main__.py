"""``python -m tests.chaos --workers 3 --companies 20 --lifecycles 5000 --kill-every 5``.

The rebalance storm on its own: ``python -m tests.chaos --workload storm --workers 2
--partitions 4 --companies 5 --lifecycles 400 --duration 40 --kill-every 0 --storm-kills 5
--restart-after 2 2 --halo-rate-limit 100000``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.chaos.harness import ChaosConfig, run_chaos


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--companies", type=int, default=20)
    p.add_argument("--lifecycles", type=int, default=5000)
    p.add_argument(
        "--kill-every", type=float, default=5.0, help="seconds between SIGKILLs (0: none)"
    )
    p.add_argument("--duration", type=float, default=None, help="seconds to produce over")
    p.add_argument("--partitions", type=int, default=6)
    p.add_argument("--quiet", type=float, default=15.0, help="quiescence: seconds without results")
    p.add_argument("--max-wait", type=float, default=600.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faulty-ratio", type=float, default=0.4, help="share of tenants with faults")
    p.add_argument(
        "--halo-rate-limit",
        type=int,
        default=300,
        help="Halo requests per 5 minutes per tenant (sandbox and workers; hosted Halo: 300)",
    )
    p.add_argument("--workload", choices=["mixed", "storm"], default="mixed")
    p.add_argument(
        "--storm-kills",
        type=int,
        default=0,
        help="end with this many kills closer together than the session timeout",
    )
    p.add_argument("--storm-gap", type=float, nargs=2, default=(8.0, 10.0), metavar=("MIN", "MAX"))
    p.add_argument(
        "--restart-after", type=float, nargs=2, default=(0.2, 1.5), metavar=("MIN", "MAX")
    )
    p.add_argument("--session-timeout", type=float, default=None, help="default: the worker's")
    p.add_argument(
        "--worker-defaults",
        action="store_true",
        help="workers keep their own sweep interval and retry delays (else 10 s and 2 s)",
    )
    p.add_argument("--bootstrap", default=None, help="existing Kafka (else one is started)")
    p.add_argument("--sandbox", default=None, help="existing sandbox URL (else one is started)")
    p.add_argument("--workdir", type=Path, default=None, help="keep logs here")
    args = p.parse_args(argv)
    cfg = ChaosConfig(
        workers=args.workers,
        companies=args.companies,
        lifecycles=args.lifecycles,
        kill_every=args.kill_every,
        kills=args.kill_every > 0,
        duration=args.duration,
        partitions=args.partitions,
        quiet=args.quiet,
        max_wait=args.max_wait,
        seed=args.seed,
        faulty_ratio=args.faulty_ratio,
        halo_rate_limit=args.halo_rate_limit,
        workload=args.workload,
        storm_kills=args.storm_kills,
        storm_gap=tuple(args.storm_gap),
        restart_after=tuple(args.restart_after),
        session_timeout=args.session_timeout,
        sweep_interval=None if args.worker_defaults else 10.0,
        retry_max_delay=None if args.worker_defaults else 2.0,
        bootstrap=args.bootstrap,
        sandbox=args.sandbox,
        workdir=args.workdir,
    )
    report = run_chaos(cfg)
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
