"""Sample a worker with py-spy while it handles the no-ticket stream; summarise the hot spots."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench import events
from bench.stack import ALERTS, RESULTS, Stack

SKIP = ("<module>", "run (asyncio", "_run (asyncio", "run_forever", "_run_once", "run_until")


def pyspy() -> str:
    found = shutil.which("py-spy") or str(Path(__file__).resolve().parents[1] / ".venv/bin/py-spy")
    if not Path(found).exists():
        raise SystemExit(
            "py-spy not found: .venv/bin/pip install py-spy (not a project dependency)"
        )
    return found


def profile_no_ticket(stack: Stack, n: int, companies: int, seconds: float, top: int) -> str:
    """Profile the worker for ``seconds`` while it works through ``n`` disabled-company alerts."""
    run = stack.run("profile")
    workers = run.workers()
    worker = workers.add()
    run.publish_configs(companies, enabled=False, workers=workers)
    worker.stop()
    run.produce(ALERTS, [rec for _, rec in events.alerts(n, companies, computers=50)])
    worker.start(wait=False)
    run.wait_count(RESULTS, 1, timeout=120, workers=workers)
    out = run.path / "profile.raw"
    cmd = [pyspy(), "record", "--pid", str(worker.proc.pid), "--duration", str(int(seconds))]
    cmd += ["--rate", "200", "--nonblocking", "--format", "raw", "--output", str(out)]
    began = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    done = run.count(RESULTS)
    workers.stop_all()
    print(f"#   profiled {time.monotonic() - began:.0f}s, {done} results so far; raw: {out}")
    return summarise(out, top)


def summarise(raw: Path, top: int) -> str:
    """Top functions by inclusive and by self time (% of samples) from py-spy's raw stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = [_short(f) for f in stack.split(";")]
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            if not frame.startswith(SKIP):
                inclusive[frame] += samples
    lines = [f"{total} samples", "", "inclusive (% of samples, the frame is on the stack):"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in inclusive.most_common(top)]
    lines += ["", "self (% of samples, the frame is the leaf):"]
    lines += [f"  {100 * c / total:5.1f}%  {f}" for f, c in own.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py:12)`` → ``func (pkg/mod.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/code/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"
