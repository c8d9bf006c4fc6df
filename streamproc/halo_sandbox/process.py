"""Run the sandbox as a subprocess on a free loopback port (tests, chaos runs and the benchmark)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from streamproc.kafka.broker import free_port


@contextlib.contextmanager
def sandbox_process(
    log_path: Path,
    *,
    args: Sequence[str] = (),
    code_dir: Path | None = None,
    timeout: float = 30.0,
) -> Iterator[str]:
    """``streamproc halo-sandbox`` with extra ``args``; yields its base URL once it answers.

    ``code_dir`` runs another checkout's code (the benchmark's ``--code HEAD``).
    """
    port = free_port()
    cmd = [sys.executable, "-m", "streamproc", "halo-sandbox", "--port", str(port), *args]
    env = {**os.environ, "PYTHONPATH": str(code_dir)} if code_dir else None
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=code_dir,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/_sandbox", proc, timeout, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # requests held by an injected latency fault
            proc.kill()
            proc.wait(timeout=10)


def wait_until_answering(
    url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path
) -> None:
    """Poll ``url`` until it answers 200; RuntimeError if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the process for {url} exited ({proc.returncode}); see {log}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as resp,  # noqa: S310 - loopback only
        ):
            if resp.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s; see {log}")
