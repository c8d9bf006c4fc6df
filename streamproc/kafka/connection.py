"""How every Kafka client of the project connects: bootstrap servers, TLS and SASL (SPEC §9).

One settings object (:class:`KafkaConnection`, environment ``KAFKA_*`` as Kafka clients name
them, each also with the ``STREAMPROC_`` prefix) and one function per client family:
:func:`client_kwargs` for aiokafka (producers, consumers, admin clients) and
:func:`faust_options` for the faust App. Nothing else in the project builds a client's
connection options, so a managed cluster (TLS, SASL) reaches every client the same way.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"KAFKA_{name}", f"STREAMPROC_KAFKA_{name}")


class KafkaConnectionError(ValueError):
    """The Kafka connection settings cannot work; the message says what to set."""


class KafkaConnection(BaseSettings):
    """Kafka connection settings (``KAFKA_BOOTSTRAP_SERVERS``, ``KAFKA_SECURITY_PROTOCOL``, ...)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias=_env("BOOTSTRAP_SERVERS"),
        description="Comma-separated host:port list of the Kafka cluster.",
    )
    kafka_security_protocol: SecurityProtocol = Field(
        "PLAINTEXT",
        validation_alias=_env("SECURITY_PROTOCOL"),
        description="security.protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        "PLAIN",
        validation_alias=_env("SASL_MECHANISM"),
        description="sasl.mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.",
    )
    kafka_sasl_username: str | None = Field(None, validation_alias=_env("SASL_USERNAME"))
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias=_env("SASL_PASSWORD"))
    kafka_ssl_cafile: Path | None = Field(
        None,
        validation_alias=_env("SSL_CAFILE"),
        description="PEM file of the CA(s) that signed the brokers' certificates"
        " (default: the system's trusted CAs).",
    )
    kafka_ssl_certfile: Path | None = Field(
        None,
        validation_alias=_env("SSL_CERTFILE"),
        description="PEM client certificate (mutual TLS).",
    )
    kafka_ssl_keyfile: Path | None = Field(
        None, validation_alias=_env("SSL_KEYFILE"), description="PEM key of the client certificate."
    )
    kafka_ssl_key_password: SecretStr | None = Field(
        None, validation_alias=_env("SSL_KEY_PASSWORD"), description="Password of the key file."
    )

    @field_validator(
        "kafka_sasl_username",
        "kafka_sasl_password",
        "kafka_ssl_cafile",
        "kafka_ssl_certfile",
        "kafka_ssl_keyfile",
        "kafka_ssl_key_password",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _coherent(self) -> KafkaConnection:
        if self.uses_sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise KafkaConnectionError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs"
                " KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        if self.kafka_ssl_keyfile and not self.kafka_ssl_certfile:
            raise KafkaConnectionError("KAFKA_SSL_KEYFILE is set without KAFKA_SSL_CERTFILE")
        for name, path in (
            ("KAFKA_SSL_CAFILE", self.kafka_ssl_cafile),
            ("KAFKA_SSL_CERTFILE", self.kafka_ssl_certfile),
            ("KAFKA_SSL_KEYFILE", self.kafka_ssl_keyfile),
        ):
            if path is not None and not path.is_file():
                raise KafkaConnectionError(f"{name}={path}: no such file")
        return self

    @classmethod
    def plaintext(cls, bootstrap: str) -> KafkaConnection:
        """A PLAINTEXT connection to ``bootstrap`` (ignores the environment)."""
        return cls.model_validate({"kafka_bootstrap_servers": bootstrap})

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap_servers

    @property
    def uses_sasl(self) -> bool:
        return self.kafka_security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.kafka_security_protocol in {"SSL", "SASL_SSL"}

    def connection(self) -> KafkaConnection:
        """Only the connection settings (a worker's Settings is a KafkaConnection too)."""
        return KafkaConnection.model_validate(
            {name: getattr(self, name) for name in KafkaConnection.model_fields}
        )

    def describe(self) -> str:
        """For logs and messages: never the password."""
        who = (
            f" as {self.kafka_sasl_username} ({self.kafka_sasl_mechanism})"
            if self.uses_sasl
            else ""
        )
        return f"{self.kafka_bootstrap_servers} over {self.kafka_security_protocol}{who}"


def as_connection(target: str | KafkaConnection) -> KafkaConnection:
    """A bootstrap string means a PLAINTEXT cluster (local brokers, tests)."""
    return KafkaConnection.plaintext(target) if isinstance(target, str) else target


def ssl_context(conn: KafkaConnection) -> ssl.SSLContext | None:
    """The TLS context for SSL and SASL_SSL: verifies the broker, presents a client cert if set."""
    if not conn.uses_tls:
        return None
    context = ssl.create_default_context(
        cafile=str(conn.kafka_ssl_cafile) if conn.kafka_ssl_cafile else None
    )
    if conn.kafka_ssl_certfile:
        password = conn.kafka_ssl_key_password
        context.load_cert_chain(
            str(conn.kafka_ssl_certfile),
            str(conn.kafka_ssl_keyfile) if conn.kafka_ssl_keyfile else None,
            password.get_secret_value() if password else None,
        )
    return context


def client_kwargs(target: str | KafkaConnection) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
    conn = as_connection(target)
    kwargs: dict[str, Any] = {
        "bootstrap_servers": conn.kafka_bootstrap_servers,
        "security_protocol": conn.kafka_security_protocol,
    }
    context = ssl_context(conn)
    if context is not None:
        kwargs["ssl_context"] = context
    if conn.uses_sasl:
        assert conn.kafka_sasl_password is not None  # checked by the validator
        kwargs.update(
            sasl_mechanism=conn.kafka_sasl_mechanism,
            sasl_plain_username=conn.kafka_sasl_username,
            sasl_plain_password=conn.kafka_sasl_password.get_secret_value(),
        )
    return kwargs


def faust_options(target: str | KafkaConnection) -> dict[str, Any]:
    """``broker`` and ``broker_credentials`` for ``faust.App`` (faust's public settings)."""
    from faust.auth import SASLCredentials, SSLCredentials

    conn = as_connection(target)
    options: dict[str, Any] = {
        "broker": [f"kafka://{server.strip()}" for server in conn.bootstrap.split(",")],
    }
    context = ssl_context(conn)
    if conn.uses_sasl:
        assert conn.kafka_sasl_password is not None
        options["broker_credentials"] = SASLCredentials(
            username=conn.kafka_sasl_username,
            password=conn.kafka_sasl_password.get_secret_value(),
            ssl_context=context,
            mechanism=conn.kafka_sasl_mechanism,
        )
    elif context is not None:
        options["broker_credentials"] = SSLCredentials(context)
    return options


def connection_env(target: str | KafkaConnection) -> dict[str, str]:
    """The ``KAFKA_*`` environment that describes ``target`` (for worker subprocesses)."""
    conn = as_connection(target)
    env: dict[str, str] = {}
    for name in KafkaConnection.model_fields:
        value = getattr(conn, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[name.upper()] = "" if value is None else str(value)
    return env
