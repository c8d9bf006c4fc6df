"""`streamproc dev` (used by `make run`): Kafka + HaloPSA sandbox + one worker on this machine.

Everything runs on 127.0.0.1. Kafka keeps running afterwards (`make kafka-down` stops it); the
sandbox and worker stop with Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import click

from streamproc.halo_sandbox.process import wait_until_answering
from streamproc.kafka.broker import BrokerLayout, LocalBroker

SANDBOX_PORT = 9080
WEB_PORT = 6066


def _say(message: str) -> None:
    click.secho(f"==> {message}", fg="cyan", err=True)


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    try:
        wait_until_answering(url, proc, timeout, log)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


def _port_busy(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _spawn(stack: ExitStack, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)

    def _stop() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    stack.callback(_stop)
    return proc


@click.command()
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True
)
@click.option("--demo/--no-demo", default=True, help="Configure a demo company and send alerts.")
def dev(data_dir: Path, demo: bool) -> None:
    """Start Kafka, the HaloPSA sandbox and a worker; show alerts becoming tickets."""
    # SIGTERM (e.g. from a supervisor) unwinds like Ctrl-C so the children are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for port in (SANDBOX_PORT, WEB_PORT):
        if _port_busy(port):
            raise click.ClickException(
                f"port {port} is in use (is another `make run` still running?)"
            )
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if bootstrap:
        _say(f"using the Kafka cluster at {bootstrap}")
    else:
        broker = LocalBroker(BrokerLayout(home=Path(".cache/kafka").resolve()))
        _say("starting Kafka (first run downloads the broker jars from Maven Central)")
        took = broker.start()
        bootstrap = broker.layout.bootstrap
        _say(f"Kafka ready at {bootstrap} in {took:.1f}s")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "STREAMPROC_DEV_MODE": "1",
        "STREAMPROC_DATA_DIR": str(data_dir),
        "STREAMPROC_WEB_PORT": str(WEB_PORT),
        "STREAMPROC_SWEEP_INTERVAL": os.environ.get("STREAMPROC_SWEEP_INTERVAL", "10"),
        "PYTHONUNBUFFERED": "1",
    }
    logs = data_dir / "logs"
    with ExitStack() as stack:
        _say(f"starting the HaloPSA sandbox on http://127.0.0.1:{SANDBOX_PORT} (demo data)")
        sandbox = _spawn(
            stack,
            [sys.executable, "-m", "streamproc", "halo-sandbox", "--port", str(SANDBOX_PORT)],
            env,
            logs / "sandbox.log",
        )
        _wait_http(f"http://127.0.0.1:{SANDBOX_PORT}/_sandbox", 30, sandbox, logs / "sandbox.log")
        _say(f"starting a worker (HTTP API on http://127.0.0.1:{WEB_PORT}, log {logs}/worker.log)")
        worker = _spawn(
            stack, [sys.executable, "-m", "streamproc", "worker"], env, logs / "worker.log"
        )
        _wait_http(f"http://127.0.0.1:{WEB_PORT}/health", 120, worker, logs / "worker.log")
        _say("worker ready: it joined the consumer group and recovered its tables")
        if demo:
            from streamproc.demo import run_demo
            from streamproc.settings import load_settings

            os.environ.update(
                {k: v for k, v in env.items() if k.startswith(("STREAMPROC_", "KAFKA"))}
            )
            run_demo(
                settings=load_settings(),
                sandbox_url=f"http://127.0.0.1:{SANDBOX_PORT}",
                data_dir=data_dir,
            )
        _say("running; press Ctrl-C to stop the sandbox and the worker (Kafka keeps running)")
        try:
            while worker.poll() is None and sandbox.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            _say("stopping")
