"""Before a worker starts: can it reach Kafka with its settings? If not, say what to fix.

faust and aiokafka retry a refused login or a failed TLS handshake forever, logging tracebacks;
an operator setting up a managed cluster needs one sentence naming the setting that is wrong.
So the worker opens one connection itself first, with exactly the options every client gets
(:func:`~streamproc.kafka.connection.client_kwargs`), and turns each failure into that sentence.
"""

from __future__ import annotations

import asyncio
import gc
import ssl
from typing import Any

from aiokafka import errors
from aiokafka.conn import create_conn
from aiokafka.protocol.metadata import MetadataRequest

from streamproc.kafka.connection import KafkaConnection, client_kwargs

TLS_ALERT = 0x15  # first byte of a TLS alert record: a TLS listener answering a plaintext client


class KafkaUnreachable(RuntimeError):
    """The worker cannot use the Kafka cluster with these settings; the message says why."""


async def check_connection(conn: KafkaConnection, *, seconds: float = 20.0) -> None:
    """Connect (TCP, TLS, SASL) to each bootstrap server until one works, then ask for metadata.

    Raises :class:`KafkaUnreachable` naming the setting to fix (never the password).
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(_quiet_probe_errors)
    try:
        await _check(conn, seconds)
    finally:
        gc.collect()  # the probe's dropped connections report their futures now, quietly
        loop.set_exception_handler(previous)


def _quiet_probe_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed probe leaves asyncio's stream futures holding the error it already explained;
    their "never retrieved" report (with a traceback) would only confuse the operator."""
    if isinstance(context.get("exception"), OSError | errors.KafkaError):
        return
    loop.default_exception_handler(context)


async def _check(conn: KafkaConnection, seconds: float) -> None:
    kwargs = client_kwargs(conn)
    del kwargs["bootstrap_servers"]
    problems: list[str] = []
    per_server = max(3.0, seconds / max(1, len(conn.bootstrap.split(","))))
    for server in conn.bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        opened = None
        try:
            opened = await asyncio.wait_for(
                create_conn(host, int(port), request_timeout_ms=int(per_server * 1000), **kwargs),
                per_server,
            )
            # a listener that wants SASL (or no SASL) closes the connection at the first request
            await asyncio.wait_for(opened.send(MetadataRequest([])), per_server)
        except Exception as exc:  # each kind is explained below
            problems.append(explain(exc, server.strip(), conn))
            continue
        finally:
            if opened is not None:
                opened.close()
        await _metadata(conn, seconds)
        return
    raise KafkaUnreachable("cannot connect to Kafka: " + "; ".join(problems))


async def _metadata(conn: KafkaConnection, seconds: float) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_kwargs(conn), request_timeout_ms=int(seconds * 1000))
    try:
        await asyncio.wait_for(admin.start(), seconds)
        await asyncio.wait_for(admin.describe_cluster(), seconds)
    except Exception as exc:
        raise KafkaUnreachable(
            f"connected to Kafka at {conn.describe()}, but a metadata request failed"
            f" ({type(exc).__name__}: {exc}): check the user's ACLs (Describe on the cluster)"
        ) from None
    finally:
        await admin.close()


def explain(exc: BaseException, server: str, conn: KafkaConnection) -> str:
    """One sentence: what went wrong connecting to ``server`` and which setting fixes it."""
    protocol = conn.kafka_security_protocol
    if isinstance(exc, errors.SaslAuthenticationFailed):
        return (
            f"{server} rejected the SASL login of user {conn.kafka_sasl_username!r} with"
            f" {conn.kafka_sasl_mechanism} ({exc}): check KAFKA_SASL_USERNAME,"
            " KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM"
        )
    if isinstance(exc, errors.UnsupportedSaslMechanismError):
        return (
            f"{server} does not offer SASL mechanism {conn.kafka_sasl_mechanism} ({exc}):"
            " set KAFKA_SASL_MECHANISM to one it offers"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = getattr(exc, "verify_message", None) or str(exc)
        if "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
            return (
                f"the TLS certificate of {server} does not name that host ({reason}):"
                " use the host name in the certificate in KAFKA_BOOTSTRAP_SERVERS"
            )
        where = (
            f"KAFKA_SSL_CAFILE={conn.kafka_ssl_cafile} does not contain it"
            if conn.kafka_ssl_cafile
            else "no KAFKA_SSL_CAFILE is set, and the system's CAs do not include it"
        )
        return (
            f"the TLS certificate of {server} is not trusted ({reason}; {where}):"
            " set KAFKA_SSL_CAFILE to the PEM file of the CA that signed the broker's certificate"
        )
    handshake = exc if isinstance(exc, ssl.SSLError) else _cause(exc, ssl.SSLError)
    if handshake is not None and "CERTIFICATE_REQUIRED" in str(handshake):
        return (
            f"{server} wants a client certificate (mutual TLS): set KAFKA_SSL_CERTFILE and"
            " KAFKA_SSL_KEYFILE to the PEM certificate and key the cluster gave this client"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"the TLS handshake with {server} failed ({exc.reason or exc}): if that listener is"
            " not TLS, set KAFKA_SECURITY_PROTOCOL=PLAINTEXT or SASL_PLAINTEXT; if it needs a"
            " client certificate, set KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"
        )
    if not conn.uses_tls and _tls_answer(exc):
        wanted = "SASL_SSL" if conn.uses_sasl else "SSL (or SASL_SSL)"
        return (
            f"{server} is a TLS listener, but KAFKA_SECURITY_PROTOCOL={protocol}:"
            f" set KAFKA_SECURITY_PROTOCOL={wanted}, and KAFKA_SSL_CAFILE if its CA is private"
        )
    if isinstance(exc, errors.KafkaConnectionError):
        hints = [f"check that KAFKA_SECURITY_PROTOCOL={protocol} is what this listener expects"]
        if conn.uses_sasl:
            hints.append("if it takes no SASL login, set KAFKA_SECURITY_PROTOCOL=SSL or PLAINTEXT")
        else:
            wanted = "SASL_SSL" if conn.uses_tls else "SASL_PLAINTEXT"
            hints.append(
                f"if it wants a SASL login, set KAFKA_SECURITY_PROTOCOL={wanted} with"
                " KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        if conn.uses_tls and not conn.kafka_ssl_certfile:
            hints.append(
                "if it wants a client certificate, set KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE"
            )
        return f"{server} closed the connection ({exc}): {'; '.join(hints)}"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return (
            f"no answer from {server} in time: check KAFKA_BOOTSTRAP_SERVERS, the network, and"
            f" that KAFKA_SECURITY_PROTOCOL={protocol} is what this listener expects"
        )
    reason = str(exc) or type(exc).__name__
    if (
        conn.uses_tls
        and isinstance(exc, ConnectionError)
        and not isinstance(exc, ConnectionRefusedError)
    ):
        return (
            f"{server} dropped the TLS handshake ({reason}): if that listener is not TLS, set"
            " KAFKA_SECURITY_PROTOCOL=PLAINTEXT or SASL_PLAINTEXT"
        )
    if isinstance(exc, OSError):
        return f"cannot reach {server} ({reason}): check KAFKA_BOOTSTRAP_SERVERS"
    if isinstance(exc, ValueError):
        return f"{server} is not a host:port ({exc}): check KAFKA_BOOTSTRAP_SERVERS"
    return f"connecting to {server} failed ({type(exc).__name__}: {exc})"


def _cause(exc: BaseException, kind: type[BaseException]) -> Any:
    seen = exc.__cause__ or exc.__context__
    while seen is not None and not isinstance(seen, kind):
        seen = seen.__cause__ or seen.__context__
    return seen


def _tls_answer(exc: BaseException) -> bool:
    """Did the server answer our plaintext request with a TLS alert record?"""
    cause: Any = exc.__cause__ or exc.__context__
    expected = getattr(cause, "expected", None)
    return isinstance(expected, int) and expected >> 24 == TLS_ALERT
