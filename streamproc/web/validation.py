"""Validate the body of the HaloPSA integration API (pure: no faust, no I/O).

`parse_integration_body` turns raw request bytes into an :class:`IntegrationBody` or a
:class:`BodyError` (HTTP status + JSON body). Error messages never contain the submitted values,
so a client secret cannot be echoed back.

Base URL rules: ``https`` is required, except that plain ``http`` is accepted for loopback hosts
(``localhost``, ``127.0.0.0/8``, ``::1``: a local simulator, exposing nothing on the network),
which are only allowed in dev mode. Where the host may point (literal addresses here, resolved
names in :func:`check_resolved`) is :mod:`streamproc.web.addresses`' policy, given to
:func:`parse_integration_body`; without one, only public addresses pass.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from streamproc.contracts.modes import OperatingSettings
from streamproc.contracts.policies import TicketPolicies
from streamproc.web.addresses import (
    AddressPolicy,
    address_problem,
    is_loopback_name,
    literal_ip,
)

OBSCURED = "********"
MAX_BODY = 64 * 1024
MAX_ID = 2**31 - 1

SecretText = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
IdText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
HaloIdField = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class BodyError(Exception):
    """A request that cannot be served as sent: the HTTP status and the JSON body to answer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body.get("error"))
        self.status = status
        self.body = body


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, an address in 127.0.0.0/8, or ``::1``."""
    if not host:
        return False
    ip = literal_ip(host)
    return is_loopback_name(host) if ip is None else ip.is_loopback


def check_base_url(value: str, policy: AddressPolicy | None = None) -> str:
    """The normalised Halo base URL, or ValueError saying what is wrong (without echoing it)."""
    policy = policy or AddressPolicy()
    url = value.strip().rstrip("/")
    if url.lower().endswith("/api"):
        url = url[:-4]
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise ValueError("must be a URL such as https://yourcompany.halopsa.com") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must be a URL such as https://yourcompany.halopsa.com")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("must not contain a query string or fragment")
    if any(c.isspace() for c in url):
        raise ValueError("must not contain spaces")
    ip = literal_ip(host)
    problem = address_problem(ip, policy) if ip is not None else None
    if problem is None and ip is None and is_loopback_name(host) and not policy.allow_loopback:
        problem = "is a loopback host name: allowed only with STREAMPROC_DEV_MODE=1"
    if problem is not None:
        raise ValueError(problem)
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValueError("must use https (plain http is only allowed for loopback hosts)")
    return url


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the event loop asks the system resolver in a thread)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


RESOLVE_TIMEOUT = 5.0


async def check_resolved(
    base_url: str, policy: AddressPolicy, resolver: Resolver = resolve
) -> None:
    """422 when the base URL's host name resolves to an address the policy refuses.

    A name that does not resolve passes: the credential test then says Halo is unreachable.
    """
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if literal_ip(host) is not None or is_loopback_name(host):
        return  # checked by check_base_url
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            addresses = await resolver(host, parts.port or 443)
    except (OSError, TimeoutError, UnicodeError):
        return
    for address in addresses:
        ip = literal_ip(address)
        problem = address_problem(ip, policy) if ip is not None else None
        if problem is not None:
            raise validation_failed([{"field": "base_url", "message": problem}])


class IntegrationBody(TicketPolicies, OperatingSettings):
    """Body of PUT and POST …/integrations/halopsa[/test]. Unknown fields are ignored.

    ``client_secret`` may be omitted (or sent as ``********``) to keep the stored secret.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    enabled: StrictBool = True
    base_url: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    client_id: IdText
    client_secret: SecretText | None = None
    tenant: NameText | None = None
    default_tickettype_id: HaloIdField | None = None
    default_priority_id: HaloIdField | None = None
    default_client_id: HaloIdField | None = None
    default_site_id: HaloIdField | None = None
    use_reference_email: StrictBool = False
    serial_field_name: NameText = "Serial Number"
    close_status_id: HaloIdField = 9

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str, info: ValidationInfo) -> str:
        policy = (info.context or {}).get("address_policy")
        return check_base_url(value, policy)

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return None if value == OBSCURED else value

    @field_validator("tenant", mode="before")
    @classmethod
    def _blank_tenant(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def check_company_id(company_id: str) -> BodyError | None:
    """A 404 for a company id no record can have (empty, too long, control characters)."""
    if not company_id or len(company_id) > 200 or not company_id.isprintable():
        return BodyError(404, {"error": "not_found", "message": "no such company id"})
    return None


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(body)"


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for a pydantic error, one per problem, inputs never included."""
    out = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        message = err["msg"].removeprefix("Value error, ")
        out.append({"field": _field_name(err["loc"]), "message": message})
    return out[:50]


def validation_failed(fields: list[dict[str, str]]) -> BodyError:
    """The 422 answer for field errors."""
    return BodyError(422, {"error": "validation_failed", "fields": fields})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """Decode a JSON request body; BodyError 400 ``invalid_json`` / 413 ``body_too_large``."""
    if len(raw) > MAX_BODY:
        raise BodyError(413, {"error": "body_too_large", "message": f"at most {MAX_BODY} bytes"})
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BodyError(400, {"error": "invalid_json", "message": "body is not UTF-8"}) from None
    except (ValueError, RecursionError):
        raise BodyError(
            400, {"error": "invalid_json", "message": "body is not valid JSON"}
        ) from None


def parse_integration_body(raw: bytes, policy: AddressPolicy | None = None) -> IntegrationBody:
    """The validated body, or BodyError (400 bad JSON, 413 too large, 422 field errors)."""
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise validation_failed([{"field": "(body)", "message": "expected a JSON object"}])
    return validate_integration(data, policy)


def validate_integration(data: dict[str, Any], policy: AddressPolicy | None) -> IntegrationBody:
    """An :class:`IntegrationBody` from a dict, or BodyError 422 with the field errors."""
    try:
        return IntegrationBody.model_validate(data, context={"address_policy": policy})
    except ValidationError as exc:
        raise validation_failed(field_errors(exc)) from None


def client_search(raw: bytes) -> str | None:
    """The test's ``client_search`` (part of a client's name, the page's search; not a setting,
    so not in :class:`IntegrationBody`): stripped, None when absent, 422 when not text or too
    long. Call after :func:`parse_integration_body` accepted ``raw``."""
    value = parse_json(raw).get("client_search")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 100:
        raise validation_failed([{"field": "client_search", "message": "at most 100 characters"}])
    return value.strip()
