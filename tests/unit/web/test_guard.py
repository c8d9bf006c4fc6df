"""The gatekeeper: webhook credentials (fast, legacy, stale), failure budgets, metrics, logs."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from streamproc.contracts import IntegrationConfig
from streamproc.metrics import Metrics
from streamproc.settings import Settings
from streamproc.web.common import FORWARDED, forward_marker
from streamproc.web.guard import Guard
from streamproc.web.legacy_hash import BusyError
from streamproc.web.security import password_digest
from tests.support.legacy_hash import scrypt_hash

PASSWORD = "Right-Password-7d1f0a"
WRONG = "Wrong-Password-b3e990"


def guard(**overrides: object) -> Guard:
    fields: dict[str, object] = {
        "admin_token": SecretStr("tok"),
        "secret_key": SecretStr(Fernet.generate_key().decode()),
        "auth_fail_limit": 3,
        "auth_fail_limit_company": 5,
        **overrides,
    }
    return Guard(Settings(**fields), Metrics())


def config(password_hash: str | None) -> IntegrationConfig:
    return IntegrationConfig.model_validate(
        {
            "company_id": "acme",
            "enabled": True,
            "base_url": "https://acme.halopsa.com",
            "client_id": "cid",
            "client_secret_encrypted": "gAAAA",
            "webhook_username": "halo-acme",
            "webhook_password_hash": password_hash,
            "updated_at": datetime(2026, 5, 1, tzinfo=UTC),
        }
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def count(metric, *labels: str) -> float:
    return metric.labels(*labels)._value.get()


async def test_webhook_credentials_against_a_keyed_digest():
    g = guard()
    cfg = config(password_digest(g.keys.webhook, PASSWORD))
    assert await g.webhook_problem(basic("halo-acme", PASSWORD), cfg) is None
    assert await g.webhook_problem(basic("halo-acme", WRONG), cfg) == "wrong_password"
    assert await g.webhook_problem(basic("halo-other", PASSWORD), cfg) == "wrong_user"
    assert await g.webhook_problem(None, cfg) == "no_credentials"
    assert await g.webhook_problem("Bearer x", cfg) == "no_credentials"
    assert await g.webhook_problem(basic("halo-acme", PASSWORD), None) == "not_configured"
    assert await g.webhook_problem(basic("halo-acme", PASSWORD), config(None)) == "not_configured"


async def test_a_legacy_scrypt_hash_still_opens_the_webhook():
    g = guard()
    cfg = config(scrypt_hash(PASSWORD))
    assert await g.webhook_problem(basic("halo-acme", WRONG), cfg) == "wrong_password"
    assert await g.webhook_problem(basic("halo-acme", PASSWORD), cfg) is None
    assert g.legacy.upgraded(cfg.webhook_password_hash)  # the next save stores a keyed digest
    g.close()


async def test_legacy_checks_beyond_the_queue_are_busy():
    g = guard()
    g.legacy._max_waiting = 0
    with pytest.raises(BusyError):
        await g.webhook_problem(basic("halo-acme", PASSWORD), config(scrypt_hash(PASSWORD)))
    g.close()


async def test_a_digest_made_with_another_secret_key_says_so():
    other = guard()
    cfg = config(password_digest(other.keys.webhook, PASSWORD))
    problem = await guard().webhook_problem(basic("halo-acme", PASSWORD), cfg)
    assert problem == "digest_of_another_secret_key"


def test_failures_spend_budgets_per_address_and_company_and_are_counted(caplog):
    g = guard()
    with caplog.at_level(logging.WARNING, logger="streamproc.web"):
        for n in range(3):
            assert g.refusal("webhook", f"10.0.0.{n}", "acme") is None
            g.failed("webhook", "wrong_password", "10.0.0.1" if n < 2 else "10.0.0.2", "acme")
    assert count(g.metrics.auth_failures, "webhook", "wrong_password") == 3
    assert g.refusal("webhook", "10.0.0.1", "other") is None  # 2 of 3 spent
    g.failed("webhook", "wrong_password", "10.0.0.1", "other")
    refused = g.refusal("webhook", "10.0.0.1", "other")
    assert (refused.status, refused.scope) == (429, "address")
    assert refused.retry_after >= 1
    # the company's budget (5) is shared by every address
    g.failed("webhook", "wrong_password", "10.0.0.3", "acme")
    g.failed("webhook", "wrong_password", "10.0.0.4", "acme")
    assert g.refusal("webhook", "10.0.0.9", "acme").scope == "company"
    assert g.refusal("webhook", "10.0.0.9", "other") is None
    # other realms keep their own budgets: a webhook flood does not lock out the admin
    assert g.refusal("admin", "10.0.0.1") is None
    assert count(g.metrics.auth_throttled, "webhook", "address") == 1
    assert count(g.metrics.auth_throttled, "webhook", "company") == 1
    assert "wrong_password" in caplog.text
    assert "10.0.0.1" in caplog.text
    assert "failed-authentication budget of company 'acme' spent" in caplog.text


async def test_logs_never_hold_what_was_sent(caplog):
    g = guard()
    cfg = config(password_digest(g.keys.webhook, PASSWORD))
    with caplog.at_level(logging.DEBUG):
        for _ in range(5):
            header = basic("halo-acme", WRONG)
            problem = await g.webhook_problem(header, cfg)
            g.failed("webhook", problem, "10.0.0.1", "acme")
    assert caplog.text
    for secret in (WRONG, PASSWORD, base64.b64encode(f"halo-acme:{WRONG}".encode()).decode()):
        assert secret not in caplog.text


def test_the_source_is_the_peer_unless_a_worker_vouches_for_another():
    g = guard()
    peer = SimpleNamespace(method="POST", path="/api/v1/halopsa/webhook/acme", remote="10.9.9.9")
    direct = SimpleNamespace(**vars(peer), headers={})
    assert g.source(direct) == "10.9.9.9"
    marker = forward_marker(g.keys.forwarding, "203.0.113.5", peer)
    forwarded = SimpleNamespace(**vars(peer), headers={FORWARDED: marker})
    assert g.source(forwarded) == "203.0.113.5"
    forged = SimpleNamespace(
        **vars(peer), headers={FORWARDED: "203.0.113.5 AAAAAAAAAAAAAAAAAAAAAAAA"}
    )
    assert g.source(forged) == "10.9.9.9"
    other_path = SimpleNamespace(
        method="POST", path="/api/v1/halopsa/webhook/other", remote="10.9.9.9"
    )
    replayed = SimpleNamespace(**vars(other_path), headers={FORWARDED: marker})
    assert g.source(replayed) == "10.9.9.9"
    assert guard().source(forwarded) == "10.9.9.9"  # another deployment's key


def test_admin_tokens():
    g = guard()
    assert g.admin_ok(SimpleNamespace(headers={"Authorization": "Bearer tok"}))
    assert not g.admin_ok(SimpleNamespace(headers={"Authorization": "Bearer nope"}))
    assert not g.admin_ok(SimpleNamespace(headers={}))
