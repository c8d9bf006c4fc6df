"""Settings: defaults work locally, secrets are required outside dev mode and never echoed."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from streamproc.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("STREAMPROC_", "KAFKA_")):
            monkeypatch.delenv(name)


def test_missing_secrets_outside_dev_mode_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="STREAMPROC_ADMIN_TOKEN and STREAMPROC_SECRET_KEY"):
        load_settings()


def test_invalid_secret_key_is_rejected_without_echoing_it(monkeypatch) -> None:
    monkeypatch.setenv("STREAMPROC_ADMIN_TOKEN", "tok")
    monkeypatch.setenv("STREAMPROC_SECRET_KEY", "not-a-fernet-key-value")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "not-a-fernet-key-value" not in str(info.value)
    assert "Fernet" in str(info.value)


def test_defaults_and_kafka_env(monkeypatch) -> None:
    monkeypatch.setenv("STREAMPROC_ADMIN_TOKEN", "adm-7f3e9c")
    monkeypatch.setenv("STREAMPROC_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("STREAMPROC_TOPIC_PREFIX", "stage.")
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert settings.web_port == 6066
    assert settings.sweep_interval == 60
    assert settings.topic("watchman.alerts") == "stage.watchman.alerts"
    assert "adm-7f3e9c" not in repr(settings)


def test_dev_mode_generates_and_persists_secrets(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("STREAMPROC_DEV_MODE", "1")
    monkeypatch.setenv("STREAMPROC_DATA_DIR", str(tmp_path))
    first, second = load_settings(), load_settings()
    assert first.admin_token
    assert first.secret_key
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    Fernet(first.secret_key.get_secret_value())
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def test_settings_are_frozen() -> None:
    settings = Settings(dev_mode=True)
    with pytest.raises(ValueError, match="frozen"):
        settings.web_port = 1  # type: ignore[misc]
