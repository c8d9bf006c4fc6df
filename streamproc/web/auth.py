"""Bearer-token check for the admin API (constant-time; the token never leaves this module)."""

from __future__ import annotations

import hmac

from streamproc.settings import Settings


def bearer_ok(settings: Settings, authorization: str | None) -> bool:
    """True when the Authorization header carries the configured admin token."""
    if settings.admin_token is None or not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    expected = settings.admin_token.get_secret_value().encode()
    return hmac.compare_digest(token.strip().encode(), expected)
