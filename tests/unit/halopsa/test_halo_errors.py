"""The error tree: mapping, Halo message parsing, flags, and that nothing secret leaks."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from streamproc.halopsa import errors as e
from streamproc.halopsa.transport import parse_retry_after

SECRET = "s3cret-Value-9f8e7d"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.payload.sig"

ALL = [
    e.HaloError,
    e.HaloAuthError,
    e.HaloScopeError,
    e.HaloTenantError,
    e.HaloPermissionError,
    e.HaloValidationError,
    e.HaloNotFoundError,
    e.HaloRateLimitedError,
    e.HaloUnavailableError,
]


def _make(cls: type[e.HaloError]) -> e.HaloError:
    leaky = f"client_secret={SECRET}&x=1 Authorization: Bearer {TOKEN} {SECRET} {TOKEN}"
    kwargs = {
        "method": "POST",
        "path": f"/auth/token?client_secret={SECRET}",
        "status": 400,
        "halo_message": leaky,
        "action": f"see {SECRET}",
        "secrets": (SECRET, TOKEN),
    }
    if cls is e.HaloRateLimitedError:
        return cls(leaky, retry_after=5.0, **kwargs)
    return cls(leaky, **kwargs)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_no_secret_or_token_in_str_repr_args(cls: type[e.HaloError]) -> None:
    error = _make(cls)
    for text in (str(error), repr(error), *map(str, error.args), error.path or ""):
        assert SECRET not in text
        assert TOKEN not in text
        assert "?" not in (error.path or "")


def test_scrub_masks_bearer_and_secret_fields_without_being_told() -> None:
    text = e.scrub(f'Bearer {TOKEN} {{"access_token": "{TOKEN}"}} client_secret={SECRET}')
    assert TOKEN not in text
    assert SECRET not in text


@pytest.mark.parametrize(
    ("cls", "reason", "retriable"),
    [
        (e.HaloError, "halo_error", False),
        (e.HaloAuthError, "credentials_rejected", False),
        (e.HaloScopeError, "scope_invalid", False),
        (e.HaloTenantError, "tenant_unknown", False),
        (e.HaloPermissionError, "permission_denied", False),
        (e.HaloValidationError, "validation_failed", False),
        (e.HaloNotFoundError, "not_found", False),
        (e.HaloRateLimitedError, "rate_limited", True),
        (e.HaloUnavailableError, "halo_unavailable", True),
    ],
)
def test_reason_retriable_and_action(cls: type[e.HaloError], reason: str, retriable: bool) -> None:
    assert cls.reason == reason
    assert cls.retriable is retriable
    assert len(cls.action) > 40
    assert cls.__doc__


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("CODE:APP03/2 Please select the CAB members to approve", "CODE:APP03/2 Please select"),
        ('"Ticket Type 9 does not exist."', "Ticket Type 9 does not exist."),
        ('{"ClassName": "System.Exception", "Message": "Bad site"}', "Bad site"),
        ('{"Message": "An error has occurred."}', "An error has occurred."),
        ('{"error": "invalid_client", "error_description": "nope"}', "invalid_client: nope"),
        ('{"[0].id": ["The value is not valid."]}', "[0].id: The value is not valid."),
        ('{"errors": {"summary": ["required"]}, "title": ""}', "summary: required"),
        ("", ""),
    ],
)
def test_halo_message_shapes(body: str, message: str) -> None:
    assert e.halo_message(body).startswith(message)


def test_halo_message_is_capped() -> None:
    assert len(e.halo_message("x" * 5000)) == e.MESSAGE_CAP


@pytest.mark.parametrize(
    ("status", "body", "token", "tenant", "cls"),
    [
        (401, '{"error":"invalid_client"}', True, None, e.HaloAuthError),
        (400, '{"error":"invalid_scope"}', True, None, e.HaloScopeError),
        (500, "An error has occurred.", True, "acme", e.HaloTenantError),
        (500, "An error has occurred.", True, None, e.HaloUnavailableError),
        (400, '{"error":"unsupported_grant_type"}', True, None, e.HaloAuthError),
        (404, "", True, None, e.HaloNotFoundError),
        (401, "", False, None, e.HaloPermissionError),
        (403, "", False, None, e.HaloPermissionError),
        (400, "bad", False, None, e.HaloValidationError),
        (409, "conflict", False, None, e.HaloValidationError),
        (404, "", False, None, e.HaloNotFoundError),
        (429, "Rate Limit Reached", False, None, e.HaloRateLimitedError),
        (503, "", False, None, e.HaloUnavailableError),
        (302, "", False, None, e.HaloError),
    ],
)
def test_error_from_response(
    status: int, body: str, token: bool, tenant: str | None, cls: type[e.HaloError]
) -> None:
    error = e.error_from_response(
        "GET", "/api/x?search=a@b.c", status, body, token_request=token, tenant=tenant
    )
    assert type(error) is cls
    assert error.status == status
    assert error.path == "/api/x"


def test_rate_limited_carries_retry_after() -> None:
    error = e.error_from_response("GET", "/api/Status", 429, "", retry_after=42.0)
    assert isinstance(error, e.HaloRateLimitedError)
    assert error.retry_after == 42.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("7", 30.0) == 7.0
    assert parse_retry_after(None, 30.0) == 30.0
    assert parse_retry_after("soon", 30.0) == 30.0
    assert 55 <= parse_retry_after(formatdate(time.time() + 60, usegmt=True), 30.0) <= 60
