"""The processes a run needs: one Kafka broker, the HaloPSA sandbox and streamproc workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streamproc.halo_sandbox.process import sandbox_process
from streamproc.kafka.broker import BrokerLayout, LocalBroker, free_port
from streamproc.kafka.connection import KafkaConnection, connection_env
from streamproc.kafka.topics import ensure_topics
from streamproc.topology import ALL_TOPICS, COMPACTED, TopicSpec
from tests.support.worker import WorkerProcess, wait_for

ROOT = Path(__file__).resolve().parents[1]
JARS = ROOT / ".cache" / "kafka" / "libs"


@contextlib.contextmanager
def kafka(workdir: Path) -> Iterator[str | KafkaConnection]:
    """``KAFKA_BOOTSTRAP_SERVERS`` if set, else our own broker on free ports in ``workdir``."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield KafkaConnection()  # the KAFKA_* settings of that cluster (TLS, SASL)
        return
    layout = BrokerLayout(
        home=workdir / "kafka", port=free_port(), controller_port=free_port(), libs_dir=JARS
    )
    broker = LocalBroker(layout)
    seconds = broker.start()
    print(f"# broker up on {layout.bootstrap} in {seconds:.1f}s", flush=True)
    try:
        yield layout.bootstrap
    finally:
        broker.stop()


def export_head(workdir: Path) -> Path:
    """``streamproc/`` as committed at HEAD, extracted under ``workdir`` (read-only git use)."""
    target = workdir / "code"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD", "streamproc"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


class BenchWorker(WorkerProcess):
    """A worker that can run another checkout of the code (``code_dir``) or under a profiler."""

    code_dir: Path = ROOT
    wrapper: list[str] = []

    def env(self) -> dict[str, str]:
        env = super().env()
        env["PYTHONPATH"] = str(self.code_dir)
        return env

    def start(self, *, wait: bool = True, timeout: float = 90) -> WorkerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.wrapper, sys.executable, "-m", "streamproc", "worker"],
                env=self.env(),
                cwd=self.code_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if wait:
            self.wait_ready(timeout=timeout)
        return self


@contextlib.contextmanager
def sandbox(workdir: Path, code_dir: Path = ROOT) -> Iterator[str]:
    """A `streamproc halo-sandbox` on a free port with a rate limit that never binds."""
    args = ["--rate-limit", "1000000", "--seed", "demo"]
    with sandbox_process(workdir / "sandbox.log", args=args, code_dir=code_dir) as url:
        yield url


def sandbox_post(url: str, body: Any) -> Any:
    """POST JSON to a sandbox admin route (``url`` includes the tenant and route)."""
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read() or b"null")


def create_topics(
    bootstrap: str, prefix: str, partitions: int, extra: tuple[str, ...] = ()
) -> None:
    """The worker's topics (and ``extra`` bench topics) with ``partitions`` partitions each."""
    specs = [TopicSpec(f"{prefix}{n}", partitions, n in COMPACTED) for n in ALL_TOPICS]
    specs += [TopicSpec(f"{prefix}{n}", partitions, False) for n in extra]
    asyncio.run(ensure_topics(bootstrap, specs))


class Workers:
    """Worker subprocesses of one consumer group, each with its own data dir, port and log."""

    def __init__(
        self, bootstrap: str, prefix: str, partitions: int, workdir: Path, code_dir: Path = ROOT
    ) -> None:
        self.bootstrap, self.prefix, self.partitions = bootstrap, prefix, partitions
        self.workdir, self.code_dir = workdir, code_dir
        self.procs: list[BenchWorker] = []

    def add(
        self,
        *,
        wait: bool = True,
        wrapper: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> BenchWorker:
        n = len(self.procs)
        worker = BenchWorker(
            bootstrap=self.bootstrap,
            app_id=f"{self.prefix}app",
            topic_prefix=self.prefix,
            data_dir=self.workdir / f"worker{n}",
            log_path=self.workdir / f"worker{n}.log",
            partitions=self.partitions,
            session_timeout=None,  # the worker's defaults: row F measures them
            standby_replicas=None,
            extra_env={
                # Halo's budget is lifted here and in the sandbox: rows measure our throughput.
                "STREAMPROC_LOG_LEVEL": "warning",
                "STREAMPROC_HALO_RATE_LIMIT": "1000000",
                **(env or {}),
            },
        )
        worker.code_dir, worker.wrapper = self.code_dir, wrapper or []
        self.procs.append(worker)
        worker.start(wait=wait, timeout=120)
        return worker

    def wait_balanced(self, timeout: float = 90) -> None:
        """Until every partition of the alerts topic is assigned to exactly one running worker."""
        topic = f"{self.prefix}watchman.alerts"

        def balanced() -> bool:
            owned = [w.assigned(topic) for w in self.procs]
            every = set().union(*owned)
            return all(owned) and len(every) == self.partitions == sum(len(o) for o in owned)

        wait_for(balanced, timeout, "workers balanced", *self.procs)

    def pids(self) -> dict[str, int]:
        """``worker1``, ``worker2``, ... → pid."""
        return {f"worker{i + 1}": worker.proc.pid for i, worker in enumerate(self.procs)}

    def stop_all(self) -> None:
        for worker in self.procs:
            worker.stop()
        self.procs.clear()


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set size) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def pids_running(fragment: str) -> list[int]:
    """Pids whose command line (arguments joined by spaces) contains ``fragment``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fragment in cmdline:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds each named live process has used since the meter was made."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._began = {name: (pid, cpu_seconds(pid)) for name, pid in pids.items()}

    def used(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - began for name, (pid, began) in self._began.items()}


def ms_per(used: dict[str, float], n: int) -> dict[str, float]:
    """CPU milliseconds per item, per process, for ``used`` seconds over ``n`` items."""
    return {name: round(1000 * seconds / max(1, n), 2) for name, seconds in used.items()}


def time_until_healthy(worker: WorkerProcess) -> float:
    """Start ``worker`` and return the seconds until its /health answers 200."""
    began = time.monotonic()
    worker.start(wait=True, timeout=180)
    return time.monotonic() - began


@contextlib.contextmanager
def workdir(keep: bool) -> Iterator[Path]:
    """A temp dir for broker data, worker state and logs (kept with ``--keep``)."""
    path = Path(tempfile.mkdtemp(prefix="streamproc-bench-"))
    print(f"# work dir {path}", flush=True)
    try:
        yield path
    finally:
        if not keep:
            subprocess.run(["rm", "-rf", str(path)], check=False)


@contextlib.contextmanager
def plain_faust(
    bootstrap: str,
    run_tag: str,
    source: str,
    sink: str,
    partitions: int,
    path: Path,
    **extra: str,
):
    """An agent of ``bench/plain_faust.py`` as a subprocess (stopped on exit); ``extra``: env."""
    mode = extra.get("PLAIN_MODE", "calibration")
    env = {
        **os.environ,
        **extra,
        **connection_env(bootstrap),
        "PLAIN_APP_ID": f"{run_tag}-plain-{mode}",
        "PLAIN_SOURCE": source,
        "PLAIN_SINK": sink,
        "PLAIN_PARTITIONS": str(partitions),
        "PLAIN_WEB_PORT": str(free_port()),
        "PYTHONPATH": str(ROOT),
    }
    with (path / f"plain-faust-{mode}.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.plain_faust", "worker", "--without-web"],
            env=env,
            cwd=path,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
