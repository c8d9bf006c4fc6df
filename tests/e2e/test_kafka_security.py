"""Issue 17: a worker on a SASL_SSL listener (SCRAM, private CA) and on a mutual-TLS one, and
the ways a managed cluster's settings go wrong at start-up: each stops the worker within 30 s
with what to fix.

One broker with a SASL_SSL listener serves the whole module (certificates made with keytool,
SCRAM users created at format time: ``streamproc/kafka/broker.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamproc.kafka.broker import BrokerLayout, LocalBroker, free_port
from streamproc.kafka.connection import KafkaConnection
from streamproc.kafka.jars import KafkaSetupError
from tests.e2e.conftest import halo_config, publish_config
from tests.support.broker import PARTITIONS, REPO, _no_broker
from tests.support.kafka_io import consume_all, produce
from tests.support.scenario import Stack, alert_event
from tests.support.worker import WorkerProcess, wait_configured, wait_for

USER, PASSWORD = "streamproc-worker", "s3cret-Kafka-pw-7d1e"
STARTUP_LIMIT = 30.0


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerLayout]:
    layout = BrokerLayout(
        home=tmp_path_factory.mktemp("kafka-sasl-ssl"),
        port=free_port(),
        controller_port=free_port(),
        partitions=PARTITIONS,
        libs_dir=REPO / ".cache" / "kafka" / "libs",
        sasl_ssl_port=free_port(),
        ssl_port=free_port(),
        scram_users=((USER, PASSWORD),),
    )
    broker = LocalBroker(layout)
    try:
        broker.start(timeout=120)
    except KafkaSetupError as exc:
        _no_broker(str(exc))
    try:
        yield layout
    finally:
        broker.stop()


def sasl_ssl(layout: BrokerLayout, **overrides: object) -> KafkaConnection:
    """What an operator sets for a managed cluster: SASL_SSL, SCRAM-SHA-512, a private CA."""
    fields: dict[str, object] = {
        "kafka_bootstrap_servers": layout.sasl_ssl_bootstrap,
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": USER,
        "kafka_sasl_password": PASSWORD,
        "kafka_ssl_cafile": layout.ca_file,
    }
    fields.update(overrides)
    return KafkaConnection.model_validate(fields)


def worker_on(conn: KafkaConnection, unique_id: str, tmp_path: Path) -> WorkerProcess:
    return WorkerProcess(
        bootstrap=conn,
        app_id=unique_id,
        topic_prefix=f"{unique_id}.",
        data_dir=tmp_path / "w1" / "data",
        log_path=tmp_path / "w1.log",
        extra_env={"STREAMPROC_SWEEP_INTERVAL": "2"},
    )


def test_alert_ticket_clear_over_sasl_ssl(secure_broker, halo_url, unique_id, tmp_path) -> None:
    conn = sasl_ssl(secure_broker)
    worker = worker_on(conn, unique_id, tmp_path).start()
    try:
        # every client here (test producer and consumer, the worker's faust consumer and
        # producer, its outbox and admin client) reaches Kafka only through the SASL_SSL port
        stack = Stack(conn, worker.topic_prefix, halo_url)
        publish_config(conn, stack.prefix, halo_config("acme", halo_url))
        wait_configured(worker, "acme")
        raised = alert_event("acme", "a-tls")
        stack.send("watchman.alerts", raised)
        created = stack.result_for(raised)
        assert created["outcome"] == "created", created
        cleared = alert_event("acme", "a-tls", "cleared", minute=5)
        stack.send("watchman.alerts", cleared)
        closed = stack.result_for(cleared)
        assert (closed["outcome"], closed["halo_ticket_id"]) == (
            "closed",
            created["halo_ticket_id"],
        )
        assert stack.ticket(created["halo_ticket_id"])["hasbeenclosed"] is True
    finally:
        worker.stop()
    log = worker.log_path.read_text(errors="replace")
    assert "SASL_SSL" in log  # the worker says how it connects ...
    assert PASSWORD not in log  # ... but never with what


@pytest.mark.parametrize(
    ("case", "fix"),
    [
        ("wrong_password", "check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD"),
        ("untrusted_certificate", "set KAFKA_SSL_CAFILE to the PEM file of the CA"),
        ("plaintext_client", "is a TLS listener, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT"),
        ("sasl_forgotten", "if it wants a SASL login, set KAFKA_SECURITY_PROTOCOL=SASL_SSL"),
    ],
)
def test_wrong_kafka_settings_stop_the_worker_with_what_to_fix(
    secure_broker, unique_id, tmp_path, case: str, fix: str
) -> None:
    conn = {
        "wrong_password": lambda: sasl_ssl(secure_broker, kafka_sasl_password="not-the-password"),
        # the realistic mistake: no CA file, so only the system's CAs, which never signed it
        "untrusted_certificate": lambda: sasl_ssl(secure_broker, kafka_ssl_cafile=None),
        "plaintext_client": lambda: KafkaConnection.plaintext(secure_broker.sasl_ssl_bootstrap),
        "sasl_forgotten": lambda: sasl_ssl(secure_broker, kafka_security_protocol="SSL"),
    }[case]()
    worker = worker_on(conn, unique_id, tmp_path)
    began = time.monotonic()
    worker.start(wait=False)
    try:
        code = worker.proc.wait(timeout=STARTUP_LIMIT)  # type: ignore[union-attr]
    finally:
        worker.stop()
    took = time.monotonic() - began
    log = worker.log_path.read_text(errors="replace")
    assert code != 0, log
    assert took < STARTUP_LIMIT
    assert fix in log, log
    assert "Traceback" not in log, log
    assert PASSWORD not in log
    assert "not-the-password" not in log


def mutual_tls(layout: BrokerLayout, **overrides: object) -> KafkaConnection:
    """SSL with a client certificate (Aiven, Strimzi, MSK with TLS client authentication)."""
    fields: dict[str, object] = {
        "kafka_bootstrap_servers": layout.ssl_bootstrap,
        "kafka_security_protocol": "SSL",
        "kafka_ssl_cafile": layout.ca_file,
        "kafka_ssl_certfile": layout.tls_dir / "client.pem",
        "kafka_ssl_keyfile": layout.tls_dir / "client.key",
    }
    fields.update(overrides)
    return KafkaConnection.model_validate(fields)


def test_a_worker_runs_over_mutual_tls(secure_broker, unique_id, tmp_path) -> None:
    conn = mutual_tls(secure_broker)
    worker = worker_on(conn, unique_id, tmp_path).start()  # faust, outbox and admin over mTLS
    try:
        health = worker.wait_ready()
        assert health["assigned"], health
        produce(conn, f"{worker.topic_prefix}watchman.alerts", [("mtls", b"not json")])
        dead = wait_for(
            lambda: consume_all(conn, f"{worker.topic_prefix}streamproc.dead-letter", idle=0.5),
            30,
            "the dead letter of a bad record",
            worker,
        )
        assert dead[0][0] == "mtls"
    finally:
        worker.stop()


def test_missing_client_certificate_stops_the_worker_with_what_to_fix(
    secure_broker, unique_id, tmp_path
) -> None:
    conn = mutual_tls(secure_broker, kafka_ssl_certfile=None, kafka_ssl_keyfile=None)
    worker = worker_on(conn, unique_id, tmp_path)
    worker.start(wait=False)
    try:
        code = worker.proc.wait(timeout=STARTUP_LIMIT)  # type: ignore[union-attr]
    finally:
        worker.stop()
    log = worker.log_path.read_text(errors="replace")
    assert code != 0, log
    assert "set KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE" in log, log
    assert "Traceback" not in log, log
