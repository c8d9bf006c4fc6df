"""Response shaping: obscured config, status normalisation, options, activity, links."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from pydantic import SecretStr

from streamproc.contracts import IntegrationConfig
from streamproc.halopsa import HaloAuthError, HaloOptions, Priority, TicketType
from streamproc.secretbox import SecretBox
from streamproc.web.integration_service import prepare_config
from streamproc.web.security import digest_ok
from streamproc.web.shaping import (
    activity_newest_first,
    halo_error_body,
    load_config,
    normalize_status,
    obscure_config,
    options_json,
    parse_limit,
    status_after_save,
    webhook_path,
)
from streamproc.web.validation import IntegrationBody

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
BOX = SecretBox(SecretStr(Fernet.generate_key().decode()))
WEBHOOK_KEY = b"w" * 32
LEGACY = "scrypt$16384$8$1$c3NzcwAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def body(**overrides: object) -> IntegrationBody:
    data = {"base_url": "https://acme.halopsa.com", "client_id": "cid", "client_secret": "s3cret"}
    return IntegrationBody.model_validate({**data, **overrides})


def prepare(stored: IntegrationConfig | None = None, b: IntegrationBody | None = None, **kw):
    return prepare_config(
        "acme", b or body(), "s3cret", stored, BOX, webhook_key=WEBHOOK_KEY, now=NOW, **kw
    )


def config(**overrides: object) -> IntegrationConfig:
    return prepare(b=body(**overrides)).config


def test_prepare_config_encrypts_and_creates_webhook_credentials():
    saved = prepare(b=body(default_priority_id=3))
    cfg = saved.config
    assert BOX.decrypt(cfg.client_secret_encrypted).get_secret_value() == "s3cret"
    assert cfg.webhook_username == "halo-acme"
    assert cfg.webhook_password_hash.startswith("hmac-sha256$")
    assert digest_ok(WEBHOOK_KEY, saved.webhook_password, cfg.webhook_password_hash)
    assert cfg.default_priority_id == 3
    assert cfg.updated_at == NOW
    assert cfg.link_generation
    # an update keeps the webhook credentials and the link generation unless asked to rotate
    again = prepare(cfg)
    assert again.webhook_password is None
    assert again.config.webhook_password_hash == cfg.webhook_password_hash
    assert again.config.link_generation == cfg.link_generation
    rotated = prepare(cfg, rotate_webhook=True)
    assert rotated.webhook_password
    assert rotated.config.webhook_password_hash != cfg.webhook_password_hash
    # a config removed and saved again gets a new generation: older links die with the old one
    assert prepare(None).config.link_generation != cfg.link_generation


def test_legacy_hashes_are_kept_until_a_delivery_proved_the_password():
    legacy = config().model_copy(update={"webhook_password_hash": LEGACY})
    kept = prepare(legacy)
    assert kept.webhook_password is None
    assert kept.config.webhook_password_hash == LEGACY
    upgraded = prepare(legacy, upgraded_digest="hmac-sha256$abcd$AAAA")
    assert upgraded.webhook_password is None  # same password: Halo needs no change
    assert upgraded.config.webhook_password_hash == "hmac-sha256$abcd$AAAA"


def test_a_digest_of_another_secret_key_is_replaced_by_a_new_password():
    cfg = config()
    other = prepare_config("acme", body(), "s3cret", cfg, BOX, webhook_key=b"x" * 32, now=NOW)
    assert other.webhook_password  # shown once, like on the first save
    assert digest_ok(b"x" * 32, other.webhook_password, other.config.webhook_password_hash)


def test_obscure_config_hides_secret_and_hash():
    shown = obscure_config(config())
    assert shown["client_secret"] == "********"
    assert "client_secret_encrypted" not in shown
    assert "webhook_password_hash" not in shown
    assert "link_generation" not in shown
    assert shown["webhook_username"] == "halo-acme"
    assert "s3cret" not in json.dumps(shown)


def test_load_config_accepts_dicts_and_json_and_rejects_junk():
    cfg = config()
    assert load_config(cfg.model_dump(mode="json")) == cfg
    assert load_config(cfg.model_dump_json()) == cfg
    assert load_config(cfg.model_dump_json().encode()) == cfg
    assert load_config(None) is None
    assert load_config({"company_id": "x"}) is None
    assert load_config("not json") is None


def test_normalize_status():
    assert normalize_status(None)["state"] == "active"
    raw = {
        "state": "error",
        "last_error": {"reason": "credentials_rejected", "message": "m", "at": "t"},
        "counters": {"created": 2},
        "recent_event_ids": ["x"],
    }
    status = normalize_status(raw)
    assert "recent_event_ids" not in status
    assert status["counters"] == {"created": 2, "closed": 0, "failed": 0, "skipped": {}}
    assert "re-enter both values" in status["last_error"]["action"]
    assert normalize_status(raw, config(enabled=False))["state"] == "disabled"
    assert status_after_save(raw, config())["state"] == "active"
    assert status_after_save(None, config(enabled=False))["state"] == "disabled"


def test_options_json():
    options = HaloOptions(
        ticket_types=(TicketType(1, "Incident", 1, 3, {}),),
        priorities=(Priority(3, "Medium", 1, {}),),
        ticket_type=TicketType(1, "Incident", 1, 3, {}),
        sla_id=1,
    )
    assert options_json(options) == {
        "ticket_types": [{"id": 1, "name": "Incident", "sla_id": 1, "default_priority_id": 3}],
        "priorities": [{"id": 3, "name": "Medium", "sla_id": 1}],
        "ticket_type_id": 1,
    }


def test_halo_error_body():
    err = HaloAuthError("Halo rejected the client credentials.", secrets=["s3cret"])
    out = halo_error_body(err)
    assert out["error"] == "credentials_rejected"
    assert out["message"] == "Halo rejected the client credentials."
    assert out["action"] == HaloAuthError.action


def test_activity_newest_first():
    stored = [{"id": str(i)} for i in range(5)]
    assert [e["id"] for e in activity_newest_first(stored, 3)] == ["4", "3", "2"]
    assert activity_newest_first(None, 3) == []
    assert activity_newest_first(json.dumps(stored), 1) == [{"id": "4"}]
    assert activity_newest_first([1, "x", {"id": "a"}], 5) == [{"id": "a"}]


def test_parse_limit():
    assert parse_limit(None) == 50
    assert parse_limit("") == 50
    assert parse_limit("7") == 7
    assert parse_limit("500") == 500
    for bad in ("0", "501", "-1", "x", "1e3", "9999999"):
        assert parse_limit(bad) is None


def test_webhook_path():
    assert webhook_path("a b/c") == "/api/v1/halopsa/webhook/a%20b%2Fc"
