"""Page links and form tokens (pure): signed, expiring, scoped, revocable per company.

A link is ``/companies/{id}/integrations/halopsa?link=v1.<scope>.<expires>.<mac>`` where the MAC
(HMAC-SHA256 under a key derived from the secret key) covers the company id, the scope (``view``
or ``edit``), the expiry (Unix seconds) and the company's ``link_generation``, a random value kept
in its integration config: replacing it revokes every link of that company at once, and a config
removed and saved again starts with a new one. Nothing in a link is secret but its MAC.

A form token (CSRF) binds a form to whoever was shown it, the link (its MAC) or the admin token,
and expires with it; a POST must carry it back. Twenty lines of ``hmac`` rather than a signing
library: the format must bind the per-company generation, which such libraries take as a salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

Scope = Literal["view", "edit"]
SCOPES: tuple[Scope, ...] = ("view", "edit")
ADMIN = "admin"
_VERSION = "v1"


def new_generation() -> str:
    """A fresh ``link_generation`` (saving it revokes the links signed with the previous one)."""
    return secrets.token_urlsafe(12)


def _mac(key: bytes, *parts: str) -> str:
    message = "\x00".join(parts).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Grant:
    """What a request may do on a company's page, until when, and who it was granted to."""

    scope: Scope
    expires_at: int
    principal: str  # "admin", or the MAC of the link (what form tokens are bound to)

    @property
    def can_edit(self) -> bool:
        return self.scope == "edit"


def mint(key: bytes, company_id: str, scope: Scope, generation: str | None, expires_at: int) -> str:
    """The ``link`` query value granting ``scope`` on ``company_id`` until ``expires_at``."""
    mac = _mac(key, "page-link", _VERSION, company_id, scope, str(expires_at), generation or "")
    return f"{_VERSION}.{scope}.{expires_at}.{mac}"


def check(
    key: bytes, company_id: str, token: str | None, generation: str | None, now: float
) -> Grant | Literal["invalid", "expired"]:
    """The grant of a ``link`` value, or why there is none.

    "expired" only for a link that was genuine; a revoked, altered or foreign link is "invalid".
    """
    parts = (token or "").split(".")
    if len(parts) != 4 or parts[0] != _VERSION or parts[1] not in SCOPES or not parts[2].isdigit():
        return "invalid"
    _, scope, expires, mac = parts
    expected = _mac(key, "page-link", _VERSION, company_id, scope, expires, generation or "")
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return "invalid"
    if int(expires) <= now:
        return "expired"
    return Grant(scope=scope, expires_at=int(expires), principal=mac)  # type: ignore[arg-type]


def form_token(key: bytes, company_id: str, grant: Grant) -> str:
    """The CSRF token of the forms shown under ``grant``."""
    expires = str(grant.expires_at)
    return f"{expires}.{_mac(key, 'form', company_id, grant.principal, expires)}"


def form_token_ok(key: bytes, company_id: str, grant: Grant, token: str | None, now: float) -> bool:
    """True when ``token`` was issued to ``grant``'s principal for this company and is current."""
    expires, _, mac = (token or "").partition(".")
    if not expires.isdigit() or int(expires) <= now:
        return False
    expected = _mac(key, "form", company_id, grant.principal, expires)
    return hmac.compare_digest(mac.encode(), expected.encode())


def page_path(company_id: str, link: str | None = None) -> str:
    """Relative URL of the integration page of ``company_id`` (with a ``link`` when given)."""
    path = f"/companies/{quote(company_id, safe='')}/integrations/halopsa"
    return f"{path}?link={link}" if link else path
