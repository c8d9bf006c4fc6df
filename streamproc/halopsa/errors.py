"""Errors raised by the HaloPSA client.

Every error says what went wrong (`reason`, a machine word for metrics and ticket results),
whether trying again later can help (`retriable`), and what an administrator should do
(`action`). It carries the request method, the path (never a query string, never a URL with
credentials), the HTTP status and Halo's own message capped at 300 characters. The client secret
and the bearer token are scrubbed from every message.

Tree::

    HaloError                 halo_error           root; also unexpected responses
    ├── HaloAuthError         credentials_rejected token endpoint: invalid_client, 401
    │   ├── HaloScopeError    scope_invalid        token endpoint: invalid_scope
    │   └── HaloTenantError   tenant_unknown       token endpoint: 500 with a tenant set
    ├── HaloPermissionError   permission_denied    API 403, or 401 again after re-auth
    ├── HaloValidationError   validation_failed    API 400 (and other unexpected 4xx)
    ├── HaloNotFoundError     not_found            404
    ├── HaloRateLimitedError  rate_limited         429; retriable; carries `retry_after` seconds
    └── HaloUnavailableError  halo_unavailable     5xx, timeout, connection or DNS failure;
                                                   retriable; `ambiguous` on unsafe writes

`ambiguous=True` means a write (ticket create, note) may have reached Halo before the failure, so
Halo may have applied it. Do not blindly resend: look the ticket up by its supplier reference first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

MESSAGE_CAP = 300

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_SECRET_KV = re.compile(
    r"(?i)((?:client_secret|access_token|refresh_token|id_token|password)[\"']?\s*[=:]\s*[\"']?)"
    r"[^\s&\"',}]+"
)


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return `text` with the given secret values and any bearer/secret-looking values masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", text)
    return _SECRET_KV.sub(r"\1***", text)


def halo_message(body: str, cap: int = MESSAGE_CAP) -> str:
    """Extract Halo's human message from an error body of any observed shape, capped at `cap` chars.

    Shapes: plain string (possibly JSON-quoted), `{"ClassName","Message"}`, `{"Message"}`,
    `{"error","error_description"}`, ASP.NET model state `{"[0].id": ["…"]}`, or a list of those.
    """
    text = body.strip()
    try:
        parsed = json.loads(text) if text else ""
    except ValueError:
        parsed = text
    message = _flatten(parsed).strip()
    return message if len(message) <= cap else message[: cap - 1] + "…"


def _flatten(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value if v not in (None, ""))
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    lowered = {str(k).lower(): v for k, v in value.items()}
    if "error" in lowered and isinstance(lowered["error"], str):
        desc = lowered.get("error_description")
        return f"{lowered['error']}: {desc}" if desc else lowered["error"]
    for key in ("message", "errormessage"):
        if isinstance(lowered.get(key), str) and lowered[key]:
            return lowered[key]
    if lowered.get("errors"):
        return _flatten(lowered["errors"])
    if isinstance(lowered.get("title"), str) and lowered["title"]:
        return lowered["title"]
    return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())


class HaloError(Exception):
    """Root of every HaloPSA client error; also raised for responses of an unexpected shape."""

    retriable: bool = False
    reason: str = "halo_error"
    action: str = (
        "Halo answered in an unexpected way: check that the base URL points at a HaloPSA/HaloITSM "
        "instance (e.g. https://yourcompany.halopsa.com) and retry later."
    )

    def __init__(
        self,
        summary: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        halo_message: str = "",
        action: str | None = None,
        ambiguous: bool = False,
        secrets: Iterable[str | None] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.method = method
        self.path = scrub(path.split("?", 1)[0], secrets) if path else path
        self.status = status
        self.halo_message = scrub(halo_message, secrets)[:MESSAGE_CAP]
        self.summary = scrub(summary, secrets)
        self.ambiguous = ambiguous
        if action is not None:
            self.action = scrub(action, secrets)
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [self.summary]
        if self.method and self.path:
            where = f"{self.method} {self.path}"
            parts.append(f"({where} → {self.status})" if self.status else f"({where})")
        if self.halo_message:
            label = "Halo said" if self.status else "Detail"
            parts.append(f"{label}: {self.halo_message}")
        if self.ambiguous:
            parts.append("Halo may have applied the request.")
        parts.append(f"Action: {self.action}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(reason={self.reason!r}, method={self.method!r}, "
            f"path={self.path!r}, status={self.status!r}, halo_message={self.halo_message!r})"
        )


class HaloAuthError(HaloError):
    """Halo's token endpoint rejected the client ID or secret (invalid_client)."""

    reason = "credentials_rejected"
    action = (
        "Halo rejected the client ID or secret (invalid_client): check the application under "
        "Configuration → Integrations → HaloPSA API → View Applications, that it uses "
        "'Client ID and Secret (Services)', that it was saved, and re-enter both values."
    )


class HaloScopeError(HaloAuthError):
    """The token endpoint rejected the requested scope (invalid_scope)."""

    reason = "scope_invalid"
    action = (
        "Halo rejected the requested scope (invalid_scope): use scope 'all', or only scopes that "
        "exist (read:/edit: tickets, customers, assets) and are enabled on the API application."
    )


class HaloTenantError(HaloAuthError):
    """The token endpoint failed with a tenant set: the tenant name is most likely wrong."""

    reason = "tenant_unknown"
    action = (
        "Halo could not issue a token for this tenant: check the tenant name (hosted Halo only; "
        "leave it blank for on-premise or own-domain instances)."
    )


class HaloPermissionError(HaloError):
    """The API refused the call although a token was issued (403, or 401 again after re-auth)."""

    reason = "permission_denied"
    action = (
        "Halo refused the request: give the API application the 'all' scope (or edit:tickets, "
        "read:customers, read:assets) and make sure the agent it logs in as may see all customers, "
        "belongs to the teams that own the tickets and may use the outcomes we post."
    )


class HaloValidationError(HaloError):
    """Halo rejected the request's content (400): unknown ids, mandatory fields, approval rules."""

    reason = "validation_failed"
    action = (
        "Halo rejected the ticket data: check the configured ticket type (mandatory fields, "
        "approval rules), priority, default client/site and the message above."
    )


class HaloNotFoundError(HaloError):
    """The record (or endpoint) does not exist in Halo (404)."""

    reason = "not_found"
    action = (
        "Halo does not know this record: it may have been deleted. If every call fails this "
        "way, check the base URL (it should be the Halo web address, without /api)."
    )


class HaloRateLimitedError(HaloError):
    """Halo's rate limit was hit (429); `retry_after` is the wait in seconds before retrying."""

    retriable = True
    reason = "rate_limited"
    action = (
        "Halo's rate limit (about 300 requests per 5 minutes) was reached: requests resume "
        "automatically; if this repeats, lower other integrations' use of the same Halo instance."
    )

    def __init__(self, summary: str, *, retry_after: float, **kwargs: object) -> None:
        self.retry_after = retry_after
        super().__init__(summary, **kwargs)  # type: ignore[arg-type]


class HaloUnavailableError(HaloError):
    """Halo could not be reached or failed (5xx, timeout, connection refused, DNS failure)."""

    retriable = True
    reason = "halo_unavailable"
    action = (
        "Halo is unreachable or failing: check the base URL and Halo's status; requests are "
        "retried automatically."
    )


def error_from_response(
    method: str,
    path: str,
    status: int,
    body: str,
    *,
    token_request: bool = False,
    tenant: str | None = None,
    retry_after: float = 30.0,
    secrets: Iterable[str | None] = (),
) -> HaloError:
    """Map a non-2xx Halo response to the matching error (for 2xx there is nothing to map).

    `token_request` selects the token-endpoint rules (invalid_client, invalid_scope, bad tenant);
    `retry_after` is the wait to report for a 429 (the caller parses the header).
    """
    message = halo_message(body)
    common = {
        "method": method,
        "path": path,
        "status": status,
        "halo_message": message,
        "secrets": secrets,
    }
    lowered = message.lower()
    if status == 429:
        return HaloRateLimitedError("Halo rate limit reached.", retry_after=retry_after, **common)
    if token_request:
        if "invalid_scope" in lowered:
            return HaloScopeError("Halo rejected the requested scope.", **common)
        if status == 500 and tenant:
            return HaloTenantError(f"Halo failed to issue a token for tenant {tenant!r}.", **common)
        if status in (400, 401, 403) or "invalid_client" in lowered:
            return HaloAuthError("Halo rejected the client credentials.", **common)
    if status >= 500:
        return HaloUnavailableError(f"Halo failed with HTTP {status}.", **common)
    if status == 401:
        return HaloPermissionError("Halo refused the access token.", **common)
    if status == 403:
        return HaloPermissionError("Halo denied permission for this request.", **common)
    if status == 404:
        return HaloNotFoundError("Halo has no such record.", **common)
    if status == 400 or 400 <= status < 500:
        return HaloValidationError("Halo rejected the request.", **common)
    return HaloError(f"Halo answered with unexpected HTTP {status}.", **common)
