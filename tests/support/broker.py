"""Find or start a real Kafka broker for the test session.

Order: ``KAFKA_BOOTSTRAP_SERVERS`` (an existing cluster) → testcontainers, when a Docker engine
answers → our Maven-jar broker on free ports in a temp dir. With ``CI=true`` a missing broker fails
the run; locally the broker tests skip with the reason.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamproc.kafka.broker import BrokerLayout, LocalBroker, free_port, wait_ready
from streamproc.kafka.connection import KafkaConnection
from streamproc.kafka.jars import KafkaSetupError

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 4


def _no_broker(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"no Kafka broker in CI: {reason}", pytrace=False)
    pytest.skip(f"no Kafka broker: {reason}")


def _docker_answers() -> bool:
    try:
        proc = subprocess.run(["docker", "info"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


@contextlib.contextmanager
def _testcontainers() -> Iterator[str]:
    from testcontainers.kafka import KafkaContainer  # type: ignore[import-not-found]

    with KafkaContainer().with_kraft() as container:
        yield container.get_bootstrap_server()


@contextlib.contextmanager
def _local_broker(home: Path) -> Iterator[str]:
    layout = BrokerLayout(
        home=home,
        port=free_port(),
        controller_port=free_port(),
        partitions=PARTITIONS,
        libs_dir=REPO / ".cache" / "kafka" / "libs",
    )
    broker = LocalBroker(layout)
    try:
        broker.start(timeout=120)
    except KafkaSetupError as exc:
        _no_broker(str(exc))
    try:
        yield layout.bootstrap
    finally:
        broker.stop()


@contextlib.contextmanager
def session_broker(tmp: Path) -> Iterator[str | KafkaConnection]:
    """Yield a bootstrap address for the whole session (see module docstring for the order)."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        try:
            wait_ready(KafkaConnection(), timeout=30)
        except KafkaSetupError as exc:
            _no_broker(f"KAFKA_BOOTSTRAP_SERVERS={external}: {exc}")
        yield KafkaConnection()  # with that cluster's KAFKA_* settings (TLS, SASL)
        return
    if _docker_answers():
        with contextlib.suppress(ImportError), _testcontainers() as bootstrap:
            yield bootstrap
            return
    with _local_broker(tmp) as bootstrap:
        yield bootstrap
