"""Issue 18: webhook passwords saved as scrypt hashes (before keyed digests) keep working, and the
next save stores the fast digest of the same password."""

from __future__ import annotations

from tests.e2e.api_client import api, basic, body, call, wait_configured
from tests.e2e.conftest import halo_config, publish_config
from tests.support.kafka_io import consume_all
from tests.support.legacy_hash import scrypt_hash
from tests.support.worker import wait_for


def test_webhook_passwords_saved_as_scrypt_hashes_keep_working(make_worker, halo_url):
    worker = make_worker("w1").start()
    password = "Old-Webhook-Password-4f1e9b"
    config = halo_config(
        "legacy-co",
        halo_url,
        webhook_username="halo-legacy-co",
        webhook_password_hash=scrypt_hash(password),
    )
    publish_config(worker.bootstrap, worker.topic_prefix, config)
    wait_configured(worker, "legacy-co")
    hook = f"{worker.url}/api/v1/halopsa/webhook/legacy-co"
    right, wrong = basic("halo-legacy-co", password), basic("halo-legacy-co", "nope")
    assert call("POST", hook, {"object_id": 7}, token=None, headers=wrong).status == 401
    assert call("POST", hook, {"object_id": 7}, token=None, headers=right).status == 202
    # the next save stores the keyed digest of the same password: Halo needs no change
    saved = call("PUT", api(worker, "legacy-co"), body(halo_url))
    assert saved.status == 200, saved.text
    assert saved.body["webhook"]["password"] is None

    def upgraded() -> bool:
        topic = f"{worker.topic_prefix}halopsa.integration-config"
        records = [v for k, v in consume_all(worker.bootstrap, topic) if k == "legacy-co"]
        return records[-1]["webhook_password_hash"].startswith("hmac-sha256$")

    wait_for(upgraded, 30, "the keyed digest to be saved", worker)
    wait_for(
        lambda: call("POST", hook, {"object_id": 8}, token=None, headers=right).status == 202,
        30,
        "the webhook to accept the same password",
        worker,
    )
    assert call("POST", hook, {"object_id": 7}, token=None, headers=wrong).status == 401
