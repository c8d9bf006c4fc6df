"""Body validation of the integration API: https/loopback rule, where Halo may point, fuzzing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamproc.web.addresses import AddressPolicy
from streamproc.web.validation import (
    BodyError,
    IntegrationBody,
    check_base_url,
    check_company_id,
    check_resolved,
    is_loopback_host,
    parse_integration_body,
)

DEV = AddressPolicy(allow_loopback=True)
ON_PREMISES = AddressPolicy(allow_private=True)

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
        ("https://8.8.4.4", "https://8.8.4.4"),
    ],
)
def test_base_url_accepted(url, expected):
    assert check_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9080/t/acme", "http://localhost:9080", "http://[::1]:9080", "https://[::1]"],
)
def test_loopback_only_in_dev_mode(url):
    assert check_base_url(url, DEV) == url
    with pytest.raises(ValueError, match="STREAMPROC_DEV_MODE=1"):
        check_base_url(url)
    with pytest.raises(ValueError, match="STREAMPROC_DEV_MODE=1"):
        check_base_url(url, ON_PREMISES)


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",  # AWS, GCP, Azure, OCI metadata
        "169.254.0.1",
        "[fe80::1]",
        "[fd00:ec2::254]",  # AWS metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server
        "0.0.0.0",
        "[::]",
        "[::ffff:169.254.169.254]",  # IPv4-mapped
        "[64:ff9b::a9fe:a9fe]",  # NAT64
        "[2002:a9fe:a9fe::1]",  # 6to4
        "224.0.0.1",
        "255.255.255.255",
    ],
)
def test_metadata_and_link_local_addresses_are_never_allowed(host):
    everything = AddressPolicy(allow_loopback=True, allow_private=True)
    for policy in (None, DEV, ON_PREMISES, everything):
        with pytest.raises(ValueError, match="link-local or cloud metadata"):
            check_base_url(f"https://{host}", policy)


@pytest.mark.parametrize(
    "host",
    ["10.1.2.3", "172.16.0.5", "192.168.1.10", "[fd12::1]", "100.64.0.1", "[::ffff:10.0.0.1]"],
)
def test_private_networks_need_the_setting(host):
    with pytest.raises(ValueError, match="STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS=1"):
        check_base_url(f"https://{host}")
    with pytest.raises(ValueError, match="STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS=1"):
        check_base_url(f"https://{host}", DEV)
    assert check_base_url(f"https://{host}", ON_PREMISES) == f"https://{host}"


def test_the_body_is_validated_with_the_policy_and_names_the_problem():
    raw = json.dumps(good(base_url="https://169.254.169.254")).encode()
    with pytest.raises(BodyError) as info:
        parse_integration_body(raw, DEV)
    assert info.value.status == 422
    [field] = info.value.body["fields"]
    assert field["field"] == "base_url"
    assert "169.254.169.254" in field["message"]
    assert "metadata" in field["message"]
    dev = json.dumps(good(base_url="http://127.0.0.1:9080")).encode()
    assert parse_integration_body(dev, DEV).base_url == "http://127.0.0.1:9080"
    with pytest.raises(BodyError):
        parse_integration_body(dev)


def resolver(*addresses: str):
    async def resolve(host: str, port: int) -> list[str]:
        assert port == 443
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("addresses", "problem"),
    [
        (["169.254.169.254"], "link-local or cloud metadata"),
        (["8.8.8.8", "fd00:ec2::254"], "link-local or cloud metadata"),  # any address counts
        (["10.0.0.7"], "STREAMPROC_HALO_ALLOW_PRIVATE_NETWORKS=1"),
        (["127.0.0.1"], "STREAMPROC_DEV_MODE=1"),
    ],
)
async def test_resolved_addresses_are_checked_too(addresses, problem):
    url = "https://metadata.attacker.example"
    with pytest.raises(BodyError) as info:
        await check_resolved(url, AddressPolicy(), resolver(*addresses))
    assert info.value.status == 422
    assert problem in info.value.body["fields"][0]["message"]


async def test_resolved_public_private_and_unresolvable_names():
    url = "https://acme.halopsa.com"
    await check_resolved(url, AddressPolicy(), resolver("8.8.8.8", "2606:4700:4700::1111"))
    await check_resolved(url, ON_PREMISES, resolver("10.0.0.7"))

    async def fails(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    await check_resolved(url, AddressPolicy(), fails)  # the credential test reports it


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://acme.halopsa.com", "https"),
        ("http://10.1.2.3", "ALLOW_PRIVATE"),
        ("http://1.1.1.1", "https"),
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
