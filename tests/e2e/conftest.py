"""End-to-end fixtures: one HaloPSA sandbox process per session, one sandbox tenant per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from streamproc.contracts import IntegrationConfig, encode
from streamproc.halo_sandbox.process import sandbox_process
from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from streamproc.kafka.connection import KafkaConnection
from tests.support.browser import CHROMIUM
from tests.support.kafka_io import produce
from tests.support.worker import SECRET_KEY


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running `streamproc halo-sandbox` (real HTTP on loopback)."""
    with sandbox_process(tmp_path_factory.mktemp("sandbox") / "sandbox.log") as url:
        yield url


@pytest.fixture
def halo_url(sandbox_url: str, unique_id: str) -> str:
    """Base URL of a Halo instance of this test's own (a sandbox tenant: own data and limits)."""
    return f"{sandbox_url}/t/{unique_id[-12:]}"


def halo_config(company_id: str, base_url: str, **overrides: object) -> IntegrationConfig:
    """An enabled integration config for the sandbox's demo application."""
    fields: dict[str, object] = {
        "company_id": company_id,
        "enabled": True,
        "base_url": base_url,
        "client_id": DEMO_CLIENT_ID,
        "client_secret_encrypted": Fernet(SECRET_KEY).encrypt(DEMO_CLIENT_SECRET.encode()).decode(),
        "default_tickettype_id": 1,
        "default_priority_id": 3,
        "default_client_id": 13,
        "default_site_id": 24,
        "use_reference_email": False,
        "updated_at": datetime.now(UTC),
    }
    fields.update(overrides)
    return IntegrationConfig.model_validate(fields)


def publish_config(
    bootstrap: str | KafkaConnection, prefix: str, config: IntegrationConfig
) -> None:
    """Save a config the way the API does: a record on the compacted config topic."""
    produce(
        bootstrap,
        f"{prefix}halopsa.integration-config",
        [(config.company_id, encode(config))],
    )


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave files for people to look at (screenshots)."""
    path = Path(__file__).resolve().parents[2] / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def chromium() -> Path:
    """The browser for the page tests; its absence fails a CI run (``.ci/run`` installs it)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} is missing in CI (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    return CHROMIUM
