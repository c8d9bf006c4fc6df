"""Integration configuration API, webhook and /metrics against a worker subprocess, real Kafka
and the HaloPSA sandbox (SPEC §4)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from streamproc.halo_sandbox.seed import (
    DEMO_CLIENT_SECRET,
    READONLY_CLIENT_ID,
    READONLY_CLIENT_SECRET,
)
from streamproc.kafka.broker import free_port
from tests.e2e.api_client import api, basic, body, call
from tests.support.kafka_io import consume_all
from tests.support.worker import ADMIN_TOKEN, WorkerProcess

WRONG_SECRET = "wrong-secret-3b7e91"


def config_records(bootstrap: str, worker: WorkerProcess, company: str) -> list:
    topic = f"{worker.topic_prefix}halopsa.integration-config"
    return [v for k, v in consume_all(bootstrap, topic, idle=1.5) if k == company]


@pytest.fixture(scope="module")
def module_worker(kafka_bootstrap, tmp_path_factory):
    """One worker for the many quick API checks of this module (start-up is the slow part)."""
    uid = f"t-cfgapi-{uuid.uuid4().hex[:8]}"
    home = tmp_path_factory.mktemp("cfgapi")
    worker = WorkerProcess(
        bootstrap=kafka_bootstrap,
        app_id=uid,
        topic_prefix=f"{uid}.",
        data_dir=home / "data",
        log_path=home / "w.log",
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def company() -> str:
    return f"co-{uuid.uuid4().hex[:10]}"


def test_good_credentials_saved_with_options_and_webhook(
    module_worker, halo_url, company, kafka_bootstrap
):
    reply = call("PUT", api(module_worker, company), body(halo_url))
    assert reply.status == 200, reply.text
    options = reply.body["options"]
    assert {p["name"] for p in options["priorities"]} == {"Critical", "High", "Medium", "Low"}
    assert {t["name"] for t in options["ticket_types"]} >= {"Incident", "Alert"}
    config = reply.body["config"]
    assert config["client_secret"] == "********"
    assert "client_secret_encrypted" not in config
    assert "webhook_password_hash" not in config
    assert config["default_priority_id"] == 3
    assert reply.body["status"]["state"] == "active"
    webhook = reply.body["webhook"]
    assert webhook["url"] == f"/api/v1/halopsa/webhook/{company}"
    assert webhook["username"] == f"halo-{company}"
    assert len(webhook["password"]) >= 20
    assert DEMO_CLIENT_SECRET not in reply.text
    assert ADMIN_TOKEN not in reply.text

    [record] = config_records(kafka_bootstrap, module_worker, company)
    assert record["company_id"] == company
    assert record["enabled"] is True
    assert record["client_secret_encrypted"]
    assert DEMO_CLIENT_SECRET not in str(record)
    assert webhook["password"] not in str(record)
    assert record["webhook_password_hash"].startswith("hmac-sha256$")  # fast to check


def test_test_endpoint_returns_options_and_saves_nothing(
    module_worker, halo_url, company, kafka_bootstrap
):
    reply = call("POST", api(module_worker, company, "/test"), body(halo_url))
    assert reply.status == 200, reply.text
    assert reply.body["ok"] is True
    assert reply.body["options"]["priorities"]
    assert config_records(kafka_bootstrap, module_worker, company) == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"client_secret": WRONG_SECRET}, "credentials_rejected"),
        ({"tenant": "some-other-tenant"}, "tenant_unknown"),
        (
            {"client_id": READONLY_CLIENT_ID, "client_secret": READONLY_CLIENT_SECRET},
            "permission_denied",
        ),
        ({"base_url": "unreachable"}, "halo_unavailable"),
        ({"default_tickettype_id": 999}, "invalid_default"),
        ({"default_priority_id": 99}, "invalid_default"),
    ],
    ids=["wrong-secret", "unknown-tenant", "readonly", "unreachable", "type", "priority"],
)
def test_rejected_configs_are_422_with_reason_and_not_saved(
    module_worker, halo_url, company, kafka_bootstrap, overrides, reason
):
    if overrides.get("base_url") == "unreachable":
        overrides = {"base_url": f"http://127.0.0.1:{free_port()}"}
    payload = {**body(halo_url), **overrides}
    for method, suffix in (("POST", "/test"), ("PUT", "")):
        reply = call(method, api(module_worker, company, suffix), payload)
        assert reply.status == 422, reply.text
        assert reply.body["error"] == reason, reply.body
        assert reply.body["message"]
        assert reply.body["action"]
        assert WRONG_SECRET not in reply.text
        assert DEMO_CLIENT_SECRET not in reply.text
    assert config_records(kafka_bootstrap, module_worker, company) == []
    assert call("GET", api(module_worker, company)).status == 404


def test_field_validation(module_worker, company):
    reply = call(
        "PUT",
        api(module_worker, company),
        body("http://halo.example.com", client_secret="s3cr3t-value", enabled="yes"),
    )
    assert reply.status == 422
    assert reply.body["error"] == "validation_failed"
    fields = {f["field"] for f in reply.body["fields"]}
    assert fields == {"base_url", "enabled"}
    assert "s3cr3t-value" not in reply.text
    missing = call("PUT", api(module_worker, company), {"enabled": True})
    assert {f["field"] for f in missing.body["fields"]} == {"base_url", "client_id"}
    no_secret = call(
        "PUT", api(module_worker, company), body("https://x.halopsa.com", client_secret=None)
    )
    assert no_secret.status == 422
    assert no_secret.body["fields"][0]["field"] == "client_secret"
    assert call("PUT", api(module_worker, company), raw=b"{not json").status == 400


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["none", "wrong"])
def test_admin_api_requires_the_bearer_token(module_worker, halo_url, company, token):
    for method, suffix, payload in (
        ("GET", "", None),
        ("PUT", "", body(halo_url)),
        ("DELETE", "", None),
        ("POST", "/test", body(halo_url)),
    ):
        reply = call(method, api(module_worker, company, suffix), payload, token=token)
        assert reply.status == 401, (method, reply.text)
        assert reply.body["error"] == "unauthorized"
    url = f"{module_worker.url}/api/v1/companies/{company}/activity"
    assert call("GET", url, token=token).status == 401


def test_not_configured(module_worker, company):
    assert call("GET", api(module_worker, company)).body == {
        "error": "not_configured",
        "message": "no HaloPSA integration is saved",
    }
    assert call("DELETE", api(module_worker, company)).status == 404
    activity = call("GET", f"{module_worker.url}/api/v1/companies/{company}/activity?limit=5")
    assert activity.status == 200
    assert activity.body == {"company_id": company, "entries": []}
    bad = call("GET", f"{module_worker.url}/api/v1/companies/{company}/activity?limit=x")
    assert bad.status == 422


def test_webhook_rejects_unknown_company_and_bad_auth(module_worker, company):
    url = f"{module_worker.url}/api/v1/halopsa/webhook/{company}"
    assert call("POST", url, {"object_id": 1}, token=None).status == 401
    reply = call("POST", url, {"object_id": 1}, token=None, headers=basic(f"halo-{company}", "x"))
    assert reply.status == 401


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "enabled",
        "base_url",
        "client_id",
        "client_secret",
        "tenant",
        "default_priority_id",
        "default_tickettype_id",
        "use_reference_email",
        "serial_field_name",
        "close_status_id",
    ]
)
_bodies = st.one_of(
    st.binary(max_size=200),
    _json_values.map(lambda v: __import__("json").dumps(v).encode()),
    st.dictionaries(_fields, _json_values | st.text(min_size=5000, max_size=20000), max_size=8).map(
        lambda v: __import__("json").dumps(v).encode()
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=_bodies, method=st.sampled_from(["PUT", "POST"]))
def test_fuzzed_bodies_get_4xx(module_worker, raw, method):
    suffix = "/test" if method == "POST" else ""
    reply = call(method, api(module_worker, "fuzz-co", suffix), raw=raw)
    assert 400 <= reply.status < 500, reply.text
    hook = call("POST", f"{module_worker.url}/api/v1/halopsa/webhook/fuzz-co", raw=raw)
    assert 400 <= hook.status < 500, hook.text


def test_metrics_parse(module_worker):
    reply = call("GET", f"{module_worker.url}/metrics", token=None)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == CONTENT_TYPE_LATEST
    names = {m.name for m in text_string_to_metric_families(reply.text)}
    assert {"streamproc_halo_requests", "streamproc_events_consumed"} <= names


def test_zz_log_holds_no_secrets(module_worker):
    """Runs last in this module: nothing secret was ever written to the worker log."""
    log = module_worker.log_path.read_text(errors="replace")
    assert log
    for secret in (DEMO_CLIENT_SECRET, WRONG_SECRET, READONLY_CLIENT_SECRET, ADMIN_TOKEN):
        assert secret not in log, secret
