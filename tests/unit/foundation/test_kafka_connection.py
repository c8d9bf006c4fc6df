"""Kafka connection settings: client conventions, one builder for all clients, no leaks."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faust.auth import SASLCredentials, SSLCredentials

from streamproc.kafka.connection import (
    KafkaConnection,
    client_kwargs,
    connection_env,
    faust_options,
)
from streamproc.kafka.preflight import explain
from streamproc.settings import Settings, load_settings

PASSWORD = "pw-5b1f0e-never-logged"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("STREAMPROC_", "KAFKA_")):
            monkeypatch.delenv(name)


@pytest.fixture
def pem(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate and its key (serves as CA file and as client certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_env_names_follow_kafka_client_conventions_with_or_without_prefix(monkeypatch, pem):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b1:9096,b2:9096")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("STREAMPROC_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("STREAMPROC_KAFKA_SASL_PASSWORD", PASSWORD)
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(pem[0]))
    monkeypatch.setenv("STREAMPROC_DEV_MODE", "1")
    settings = Settings()
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in settings.describe()
    assert settings.describe() == "b1:9096,b2:9096 over SASL_SSL as svc (SCRAM-SHA-512)"
    assert KafkaConnection() == settings.connection()  # the CLI reads the same settings


def test_sasl_ssl_reaches_aiokafka_and_faust_the_same_way(pem):
    conn = KafkaConnection.model_validate(
        {
            "kafka_bootstrap_servers": "b1:9096",
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-256",
            "kafka_sasl_username": "svc",
            "kafka_sasl_password": PASSWORD,
            "kafka_ssl_cafile": str(pem[0]),
        }
    )
    kwargs = client_kwargs(conn)
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("svc", PASSWORD)
    assert [c["subject"] for c in kwargs["ssl_context"].get_ca_certs()] == [
        ((("commonName", "test-ca"),),)
    ]
    options = faust_options(conn)
    assert options["broker"] == ["kafka://b1:9096"]
    credentials = options["broker_credentials"]
    assert isinstance(credentials, SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert PASSWORD not in repr(credentials)


def test_mutual_tls_loads_the_client_certificate(pem):
    conn = KafkaConnection.model_validate(
        {
            "kafka_security_protocol": "SSL",
            "kafka_ssl_cafile": str(pem[0]),
            "kafka_ssl_certfile": str(pem[0]),
            "kafka_ssl_keyfile": str(pem[1]),
        }
    )
    kwargs = client_kwargs(conn)
    assert kwargs["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in kwargs
    assert isinstance(faust_options(conn)["broker_credentials"], SSLCredentials)


def test_plaintext_is_the_default_and_a_string_means_plaintext():
    assert client_kwargs("h:1") == {"bootstrap_servers": "h:1", "security_protocol": "PLAINTEXT"}
    assert "broker_credentials" not in faust_options("h:1,h:2")
    assert faust_options("h:1,h:2")["broker"] == ["kafka://h:1", "kafka://h:2"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"},
            "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD",
        ),
        ({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL: Input should be"),
        ({"KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM: Input should be"),
        ({"KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "KAFKA_SSL_CAFILE=/nonexistent/ca.pem"),
    ],
)
def test_unusable_settings_are_a_clear_start_up_error(monkeypatch, env, message):
    from streamproc.settings import SettingsError

    monkeypatch.setenv("STREAMPROC_DEV_MODE", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        load_settings()


def test_connection_env_round_trips_for_worker_subprocesses(monkeypatch, pem):
    conn = KafkaConnection.model_validate(
        {
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_username": "svc",
            "kafka_sasl_password": PASSWORD,
        }
    )
    for name, value in connection_env(conn).items():
        monkeypatch.setenv(name, value)
    assert KafkaConnection() == conn


def test_explanations_name_the_setting_and_never_the_password():
    import ssl

    from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed

    conn = KafkaConnection.model_validate(
        {
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_username": "svc",
            "kafka_sasl_password": PASSWORD,
        }
    )
    refused = explain(SaslAuthenticationFailed("invalid credentials"), "b:1", conn)
    assert "KAFKA_SASL_PASSWORD" in refused
    untrusted = ssl.SSLCertVerificationError(1, "certificate verify failed")
    assert "set KAFKA_SSL_CAFILE" in explain(untrusted, "b:1", conn)
    plain = KafkaConnection.plaintext("b:1")
    tls_alert = KafkaConnectionError("closed")
    tls_alert.__cause__ = EOFError()
    tls_alert.__cause__.expected = 0x15030300  # type: ignore[attr-defined]
    assert "KAFKA_SECURITY_PROTOCOL=SSL" in explain(tls_alert, "b:1", plain)
    closed = KafkaConnectionError("Connection at b:1 closed")
    tls_only = KafkaConnection.model_validate({"kafka_security_protocol": "SSL"})
    hint = explain(closed, "b:1", tls_only)
    assert "if it wants a SASL login, set KAFKA_SECURITY_PROTOCOL=SASL_SSL" in hint
    assert "if it wants a client certificate, set KAFKA_SSL_CERTFILE" in hint
    assert "if it takes no SASL login" in explain(closed, "b:1", conn)
    for text in (refused, explain(untrusted, "b:1", conn)):
        assert PASSWORD not in text
    logging.getLogger().info("%s", conn)  # repr of the settings hides the password
    assert PASSWORD not in repr(conn)


def test_docker_compose_passes_every_kafka_setting_to_the_worker(monkeypatch) -> None:
    import yaml

    compose = yaml.safe_load(
        (Path(__file__).resolve().parents[3] / "docker-compose.yml").read_text()
    )
    env = compose["services"]["worker"]["environment"]
    assert {name.upper() for name in KafkaConnection.model_fields} <= set(env)
    # unset on the host, compose passes "": the worker must read that as unset
    for name, value in env.items():
        default = str(value).partition(":-")[2].rstrip("}") if "${" in str(value) else value
        monkeypatch.setenv(name, str(default))
    monkeypatch.setenv("STREAMPROC_DEV_MODE", "1")
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.kafka_ssl_cafile is None
    assert settings.min_insync_replicas is None
