"""Start, stop and inspect a single-node KRaft broker (combined broker + controller) on loopback.

Sized for a 2-core laptop or CI machine (kafka-notes §1.5): 512 MiB heap, replication factor 1,
no initial rebalance delay, a small log-cleaner buffer, one partition for internal topics.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from streamproc.kafka.connection import KafkaConnection, as_connection, client_kwargs
from streamproc.kafka.jars import KafkaSetupError, ensure_jars

JVM_OPTS = [
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
]


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (racy in theory, fine for tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class BrokerLayout:
    """Where one local broker keeps its jars, data, config, log and pid."""

    home: Path
    port: int = 9092
    controller_port: int = 9093
    partitions: int = 8
    libs_dir: Path | None = None
    # A SASL_SSL listener (and an SSL one wanting client certificates) beside PLAINTEXT, for tests
    # of managed-cluster settings: certificates made with the JDK's keytool, SCRAM users (name,
    # password) created when the storage is formatted.
    sasl_ssl_port: int | None = None
    ssl_port: int | None = None  # an SSL listener that wants a client certificate (mutual TLS)
    scram_users: tuple[tuple[str, str], ...] = ()

    @property
    def libs(self) -> Path:
        return self.libs_dir or self.home / "libs"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def log(self) -> Path:
        return self.home / "broker.log"

    @property
    def pidfile(self) -> Path:
        return self.home / "broker.pid"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def ca_file(self) -> Path:
        """PEM of the CA that signed the broker's certificate (clients' KAFKA_SSL_CAFILE)."""
        return self.tls_dir / "ca.pem"

    @property
    def sasl_ssl_bootstrap(self) -> str:
        if self.sasl_ssl_port is None:
            raise ValueError("this broker has no SASL_SSL listener")
        return f"127.0.0.1:{self.sasl_ssl_port}"

    @property
    def ssl_bootstrap(self) -> str:
        if self.ssl_port is None:
            raise ValueError("this broker has no mutual-TLS listener")
        return f"127.0.0.1:{self.ssl_port}"


def server_properties(layout: BrokerLayout) -> str:
    """The broker config: a combined KRaft node with settings for a small machine."""
    plain = f"PLAINTEXT://127.0.0.1:{layout.port}"
    tls = [("SASL_SSL", layout.sasl_ssl_port), ("SSL", layout.ssl_port)]
    tls = [(name, port) for name, port in tls if port]
    secure = "".join(f",{name}://127.0.0.1:{port}" for name, port in tls)
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{layout.controller_port}",
        "listeners": f"{plain}{secure},CONTROLLER://127.0.0.1:{layout.controller_port}",
        "advertised.listeners": f"{plain}{secure}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        + "".join(f",{name}:{name}" for name, _ in tls),
        "log.dirs": str(layout.data),
        "num.partitions": str(layout.partitions),
        "num.network.threads": "2",
        "num.io.threads": "4",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.cleaner.dedupe.buffer.size": str(8 * 1024 * 1024),
        "log.cleaner.threads": "1",
        "auto.create.topics.enable": "true",
    }
    if tls:
        props.update(_tls_properties(layout))
    return "".join(f"{key}={value}\n" for key, value in props.items())


KEYSTORE_PASSWORD = "local-broker-keystore"  # guards throwaway test certificates only
SCRAM_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256")


def _tls_properties(layout: BrokerLayout) -> dict[str, str]:
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    plain_users = " ".join(f'user_{name}="{password}"' for name, password in layout.scram_users)
    plain = f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};"
    store = {"type": "PKCS12", "password": KEYSTORE_PASSWORD}
    return {
        "listener.name.sasl_ssl.sasl.enabled.mechanisms": ",".join((*SCRAM_MECHANISMS, "PLAIN")),
        **{f"listener.name.sasl_ssl.{m.lower()}.sasl.jaas.config": scram for m in SCRAM_MECHANISMS},
        "listener.name.sasl_ssl.plain.sasl.jaas.config": plain,
        # the SSL listener wants a client certificate signed by the local CA (mutual TLS)
        "listener.name.ssl.ssl.client.auth": "required",
        "ssl.keystore.location": str(layout.tls_dir / "broker.p12"),
        "ssl.key.password": KEYSTORE_PASSWORD,
        "ssl.truststore.location": str(layout.tls_dir / "truststore.p12"),
        **{f"ssl.keystore.{k}": v for k, v in store.items()},
        **{f"ssl.truststore.{k}": v for k, v in store.items()},
    }


def _keytool(*args: str) -> None:
    fast = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"]  # short-lived JVMs start sooner
    proc = subprocess.run(["keytool", *fast, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise KafkaSetupError(f"keytool {args[0]} failed:\n{proc.stdout}{proc.stderr}")


def make_certificates(tls_dir: Path) -> None:
    """A local CA, and certificates signed by it, with the JDK's keytool.

    ``ca.pem`` is what clients trust; ``broker.p12`` (key, certificate, CA) is the broker's
    keystore, ``truststore.p12`` (the CA) its truststore; ``client.pem`` and ``client.key`` are a
    client certificate for the mutual-TLS listener (keytool cannot write a PEM key: the PKCS12
    store is converted with ``cryptography``).
    """
    if (tls_dir / "client.key").exists():
        return
    tls_dir.mkdir(parents=True, exist_ok=True)
    store = ["-storetype", "PKCS12", "-storepass", KEYSTORE_PASSWORD]
    new_key = ["-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30"]
    ca = ["-keystore", str(tls_dir / "ca.p12"), *store]
    _keytool(*new_key, "-alias", "ca", "-dname", "CN=streamproc local CA", *ca,
             "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign")  # fmt: skip
    _keytool("-exportcert", "-rfc", "-alias", "ca", *ca, "-file", str(tls_dir / "ca.pem"))
    trust = ["-keystore", str(tls_dir / "truststore.p12"), *store]
    _keytool("-importcert", "-noprompt", "-alias", "ca", "-file", str(tls_dir / "ca.pem"), *trust)
    for name, cn, extensions in (
        ("broker", "127.0.0.1", ["-ext", "san=ip:127.0.0.1,dns:localhost"]),
        ("client", "streamproc-client", []),
    ):
        keystore = ["-keystore", str(tls_dir / f"{name}.p12"), *store]
        csr, pem = tls_dir / f"{name}.csr", tls_dir / f"{name}.pem"
        _keytool(*new_key, "-alias", name, "-dname", f"CN={cn}", *keystore)
        _keytool("-certreq", "-alias", name, *keystore, "-file", str(csr))
        usage = ["-ext", "eku=serverAuth,clientAuth", *extensions]
        _keytool("-gencert", "-rfc", "-alias", "ca", *ca, "-validity", "30",
                 "-infile", str(csr), "-outfile", str(pem), *usage)  # fmt: skip
        _keytool("-importcert", "-noprompt", "-alias", "ca", "-file", str(tls_dir / "ca.pem"),
                 *keystore)  # fmt: skip
        _keytool("-importcert", "-alias", name, "-file", str(pem), *keystore)
    _pem_key(tls_dir / "client.p12", tls_dir / "client.key")


def _pem_key(keystore: Path, target: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, _, _ = pkcs12.load_key_and_certificates(keystore.read_bytes(), KEYSTORE_PASSWORD.encode())
    assert key is not None
    target.touch(mode=0o600)
    target.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class LocalBroker:
    """Manages one broker process described by a :class:`BrokerLayout`."""

    def __init__(self, layout: BrokerLayout) -> None:
        self.layout = layout

    def pid(self) -> int | None:
        """The pid of the running broker, or None (stale pid files are ignored)."""
        try:
            pid = int(self.layout.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def start(self, *, timeout: float = 90.0) -> float:
        """Resolve jars, format storage once, start the JVM and wait until it answers metadata.

        Returns the seconds it took. Raises :class:`KafkaSetupError` with the log tail on failure.
        """
        began = time.monotonic()
        if self.pid() is not None:
            wait_ready(self.layout.bootstrap, timeout=timeout)
            return time.monotonic() - began
        layout = self.layout
        ensure_jars(layout.libs)
        layout.home.mkdir(parents=True, exist_ok=True)
        if layout.sasl_ssl_port or layout.ssl_port:
            make_certificates(layout.tls_dir)
        layout.config.write_text(server_properties(layout))
        if not (layout.data / "meta.properties").exists():
            self._format()
        with layout.log.open("ab") as log:
            proc = subprocess.Popen(
                [*self._java(), "kafka.Kafka", str(layout.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlive the CLI that started it; Ctrl-C does not kill it
            )
        layout.pidfile.write_text(f"{proc.pid}\n")
        try:
            wait_ready(layout.bootstrap, timeout=timeout, alive=lambda: proc.poll() is None)
        except KafkaSetupError as exc:
            self.stop()
            tail = self.log_tail()
            raise KafkaSetupError(f"{exc}\n--- last lines of {layout.log} ---\n{tail}") from None
        return time.monotonic() - began

    def stop(self, *, timeout: float = 20.0) -> bool:
        """SIGTERM (controlled shutdown), then SIGKILL after ``timeout``. False if not running."""
        pid = self.pid()
        if pid is None:
            self.layout.pidfile.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.layout.pidfile.unlink(missing_ok=True)
        return True

    def kill(self) -> bool:
        """SIGKILL, no controlled shutdown (a crash). False if not running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
        self.layout.pidfile.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the broker log (for start-up failures)."""
        try:
            return "\n".join(self.layout.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def _java(self) -> list[str]:
        return [
            "java",
            *JVM_OPTS,
            f"-Dkafka.logs.dir={self.layout.home / 'logs'}",
            "-cp",
            f"{self.layout.libs}/*",
        ]

    def _format(self) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # "=" form: a base64url id may start with "-" and must not be read as an option.
        cmd = [*self._java(), "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}"]
        cmd += ["-c", str(self.layout.config), "--ignore-formatted"]
        for name, password in self.layout.scram_users:
            for mechanism in SCRAM_MECHANISMS:
                cmd += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise KafkaSetupError(f"formatting KRaft storage failed:\n{proc.stdout}{proc.stderr}")


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_ready(bootstrap: str | KafkaConnection, *, timeout: float, alive=lambda: True) -> None:
    """Block until an admin metadata call succeeds (an open port is not enough)."""
    quiet = logging.getLogger("aiokafka")
    level, quiet.level = quiet.level, logging.CRITICAL  # connection refusals are expected here
    try:
        _poll_ready(bootstrap, timeout, alive)
    finally:
        quiet.setLevel(level)


def _poll_ready(bootstrap: str | KafkaConnection, timeout: float, alive) -> None:
    last_error = "no answer"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise KafkaSetupError("the broker process exited during start-up")
        try:
            asyncio.run(describe_cluster(bootstrap))
            return
        except Exception as exc:  # any failure means "not ready yet"
            last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.3)
    where = as_connection(bootstrap).describe()
    raise KafkaSetupError(f"broker at {where} not ready after {timeout:.0f}s ({last_error})")


async def describe_cluster(bootstrap: str | KafkaConnection, *, timeout_ms: int = 3000) -> dict:
    """One admin metadata round trip; returns the cluster description."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_kwargs(bootstrap), request_timeout_ms=timeout_ms)
    await admin.start()
    try:
        return await admin.describe_cluster()
    finally:
        await admin.close()
