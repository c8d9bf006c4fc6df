"""Run `streamproc worker` as a subprocess and talk to it only through Kafka and HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from streamproc.kafka.broker import free_port
from streamproc.kafka.connection import KafkaConnection, connection_env

ADMIN_TOKEN = "test-admin-token-9f2c"
SECRET_KEY = Fernet.generate_key().decode()


@dataclass
class WorkerProcess:
    """One worker subprocess with its own data dir, web port and log file."""

    bootstrap: str | KafkaConnection
    app_id: str
    topic_prefix: str
    data_dir: Path
    log_path: Path
    partitions: int = 4
    session_timeout: float | None = 6.0  # None: the worker's own default
    standby_replicas: int | None = 0  # None: the worker's own default
    extra_env: dict[str, str] = field(default_factory=dict)
    web_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMPROC_")}
        env.update(
            {
                **connection_env(self.bootstrap),  # every KAFKA_* setting, TLS and SASL too
                "STREAMPROC_APP_ID": self.app_id,
                "STREAMPROC_TOPIC_PREFIX": self.topic_prefix,
                "STREAMPROC_DATA_DIR": str(self.data_dir),
                "STREAMPROC_WEB_PORT": str(self.web_port),
                "STREAMPROC_PARTITIONS": str(self.partitions),
                "STREAMPROC_ADMIN_TOKEN": ADMIN_TOKEN,
                "STREAMPROC_SECRET_KEY": SECRET_KEY,
                # the Halo sandbox is on loopback: Halo base URLs may only point there in dev mode
                "STREAMPROC_DEV_MODE": "1",
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        if self.session_timeout is not None:
            env.setdefault("STREAMPROC_SESSION_TIMEOUT", str(self.session_timeout))
        if self.standby_replicas is not None:
            env.setdefault("STREAMPROC_STANDBY_REPLICAS", str(self.standby_replicas))
        return env

    def start(self, *, wait: bool = True, timeout: float = 90) -> WorkerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamproc", "worker"],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        if wait:
            self.wait_ready(timeout=timeout)
        return self

    def wait_ready(self, timeout: float = 90) -> dict[str, Any]:
        return wait_for(lambda: self._health_if_ready(), timeout, f"worker {self.url} ready", self)

    def _health_if_ready(self) -> dict[str, Any] | None:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
        status, body = http_get(f"{self.url}/health")
        return body if status == 200 else None

    def assigned(self, topic: str) -> set[int]:
        _, body = http_get(f"{self.url}/health")
        entries = body.get("assigned", []) if isinstance(body, dict) else []
        return {int(e.rsplit(":", 1)[1]) for e in entries if e.rsplit(":", 1)[0] == topic}

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def http_get(url: str, token: str | None = None) -> tuple[int, Any]:
    """GET returning (status, parsed JSON or text); connection errors → (0, reason)."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, _parse(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _parse(exc.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, str(exc)


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def wait_for(probe, timeout: float, what: str, *workers: WorkerProcess) -> Any:
    """Poll ``probe`` until it returns a truthy value; fail with the workers' log tails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    logs = "\n".join(f"--- {w.url} ---\n{w.log_tail()}" for w in workers)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")


def wait_configured(worker: WorkerProcess, *companies: str, timeout: float = 30) -> None:
    """Wait until the worker has applied each company's published integration config.

    The config topic and the alert topic are separate: without this, an alert produced right
    after its config may be consumed first (and skipped as ``integration_not_configured``).
    """
    token = worker.extra_env.get("STREAMPROC_ADMIN_TOKEN", ADMIN_TOKEN)
    for company in companies:
        url = f"{worker.url}/api/v1/companies/{company}/integrations/halopsa"
        wait_for(
            lambda u=url: http_get(u, token)[0] == 200, timeout, f"{company} configured", worker
        )
