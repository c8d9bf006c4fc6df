"""Body validation of the integration API, including the https/loopback rule and fuzzing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamproc.web.validation import (
    BodyError,
    IntegrationBody,
    check_base_url,
    check_company_id,
    is_loopback_host,
    parse_integration_body,
)

SECRET = "super-secret-value-123"


def good(**overrides: object) -> dict:
    return {
        "enabled": True,
        "base_url": "https://acme.halopsa.com",
        "client_id": "abc",
        "client_secret": SECRET,
        **overrides,
    }


def parse(data: object) -> IntegrationBody:
    return parse_integration_body(json.dumps(data).encode())


def error_of(data: object) -> BodyError:
    with pytest.raises(BodyError) as info:
        parse(data)
    return info.value


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.10.20.30", "::1", "[::1]", "api.localhost"]
)
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "128.0.0.1", "::2", "", None])
def test_not_loopback(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.halopsa.com", "https://acme.halopsa.com"),
        ("https://acme.halopsa.com/", "https://acme.halopsa.com"),
        ("https://acme.halopsa.com/api", "https://acme.halopsa.com"),
        ("https://halo.example.com:8443/halo", "https://halo.example.com:8443/halo"),
        ("http://127.0.0.1:9080/t/acme", "http://127.0.0.1:9080/t/acme"),
        ("http://localhost:9080", "http://localhost:9080"),
        ("http://[::1]:9080", "http://[::1]:9080"),
    ],
)
def test_base_url_accepted(url, expected):
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://acme.halopsa.com", "https"),
        ("http://10.1.2.3", "https"),
        ("ftp://acme.halopsa.com", "URL"),
        ("acme.halopsa.com", "URL"),
        ("https://", "URL"),
        ("https://user:pw@acme.halopsa.com", "user name"),
        ("https://acme.halopsa.com/?x=1", "query"),
        ("https://acme.halopsa.com:99999", "URL"),
        ("https://acme.halo psa.com", "spaces"),
    ],
)
def test_base_url_rejected(url, problem):
    with pytest.raises(ValueError, match=problem):
        check_base_url(url)


def test_defaults_and_normalisation():
    body = parse(good(tenant="  ", base_url="https://acme.halopsa.com/api/"))
    assert body.base_url == "https://acme.halopsa.com"
    assert body.tenant is None
    assert body.use_reference_email is False
    assert body.serial_field_name == "Serial Number"
    assert body.close_status_id == 9
    assert body.default_priority_id is None


def test_secret_may_be_omitted_or_obscured():
    assert parse(good(client_secret=None)).client_secret is None
    assert parse(good(client_secret="********")).client_secret is None
    body = good()
    del body["client_secret"]
    assert parse(body).client_secret is None


def test_unknown_fields_are_ignored():
    assert parse(good(company_id="x", webhook_username="y", extra=1)).client_id == "abc"


def test_field_errors_name_fields_and_never_echo_values():
    err = error_of(
        good(
            base_url="http://halo.example.com",
            enabled="yes",
            default_priority_id="3",
            client_secret=SECRET * 100,
        )
    )
    assert err.status == 422
    assert err.body["error"] == "validation_failed"
    fields = {f["field"]: f["message"] for f in err.body["fields"]}
    assert set(fields) == {"base_url", "enabled", "default_priority_id", "client_secret"}
    assert "https" in fields["base_url"]
    assert SECRET not in json.dumps(err.body)


@pytest.mark.parametrize("value", [0, -1, 2**31, 1.5, True, "1"])
def test_ids_must_be_positive_ints(value):
    err = error_of(good(default_tickettype_id=value))
    assert err.body["fields"][0]["field"] == "default_tickettype_id"


def test_missing_required_fields():
    err = error_of({})
    assert {f["field"] for f in err.body["fields"]} == {"base_url", "client_id"}


@pytest.mark.parametrize(
    ("raw", "status", "error"),
    [
        (b"{nope", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b'{"a": NaN}', 400, "invalid_json"),
        (b"[" * 100_000, 413, "body_too_large"),
        (b"[]", 422, "validation_failed"),
        (b"null", 422, "validation_failed"),
        (b'"text"', 422, "validation_failed"),
    ],
)
def test_non_objects(raw, status, error):
    with pytest.raises(BodyError) as info:
        parse_integration_body(raw)
    assert (info.value.status, info.value.body["error"]) == (status, error)


def test_deeply_nested_json_is_400_not_a_crash():
    with pytest.raises(BodyError) as info:
        parse_integration_body(b"[" * 30_000 + b"]" * 30_000)
    assert info.value.status == 400


@pytest.mark.parametrize("company", ["", "x" * 201, "a\nb", "a\x00b"])
def test_bad_company_ids(company):
    assert check_company_id(company).status == 404


def test_good_company_id():
    assert check_company_id("acme-42") is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=15,
)
_field = st.sampled_from(list(IntegrationBody.model_fields))


@given(st.binary(max_size=300))
def test_fuzz_bytes_never_crash(raw):
    status, body, _ = outcome(raw)
    assert body is not None or 400 <= status < 500


def outcome(raw: bytes) -> tuple[int, IntegrationBody | None, dict]:
    """(status, body) of parsing ``raw``: 200 with the body, or the error status and JSON."""
    try:
        return 200, parse_integration_body(raw), {}
    except BodyError as err:
        return err.status, None, err.body


@given(st.dictionaries(_field, _json | st.text(min_size=1000, max_size=5000), max_size=12))
def test_fuzz_objects_give_a_body_or_a_4xx(data):
    status, body, error = outcome(json.dumps(data).encode())
    if body is None:
        assert 400 <= status < 500
        assert all(set(f) == {"field", "message"} for f in error.get("fields", []))
    else:
        assert body.base_url.startswith(("https://", "http://"))
