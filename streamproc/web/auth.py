"""Bearer-token check for the admin API (constant-time; the tokens never leave this module).

Rotation without downtime: ``STREAMPROC_ADMIN_TOKEN_PREVIOUS`` is accepted beside the current
token until ``STREAMPROC_ADMIN_TOKEN_PREVIOUS_UNTIL``, so workers can be restarted with the new
token one by one while clients still send the old one, and clients switch when all are done.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from pydantic import SecretStr

from streamproc.settings import Settings


def _matches(token: bytes, expected: SecretStr | None) -> bool:
    secret = expected.get_secret_value().encode() if expected is not None else b""
    # compare even when unset, so the time taken says nothing about which tokens exist
    return hmac.compare_digest(token, secret or b"\x00") and bool(secret)


def accepted_tokens(settings: Settings, now: datetime | None = None) -> list[SecretStr]:
    """The admin tokens accepted at ``now``: the current one, and the previous one until its end."""
    tokens = [t for t in (settings.admin_token,) if t is not None]
    until = settings.admin_token_previous_until
    previous = settings.admin_token_previous
    if previous is not None and until is not None and (now or datetime.now(UTC)) < until:
        tokens.append(previous)
    return tokens


def bearer_ok(settings: Settings, authorization: str | None, now: datetime | None = None) -> bool:
    """True when the Authorization header carries an accepted admin token."""
    if not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    presented = token.strip().encode()
    results = [_matches(presented, expected) for expected in accepted_tokens(settings, now)]
    return any(results)
