"""Shape what the integration API answers (pure): obscured config, status, options, activity."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from streamproc.contracts import IntegrationConfig
from streamproc.core.credentials import invalid_default  # noqa: F401 (the API's shapes)
from streamproc.core.status import (
    apply_config,
    dry_run_sentence,
    dry_run_summary,
    empty_status,
)
from streamproc.halopsa import (
    HaloAuthError,
    HaloError,
    HaloNotFoundError,
    HaloPermissionError,
    HaloRateLimitedError,
    HaloScopeError,
    HaloTenantError,
    HaloUnavailableError,
    HaloValidationError,
)
from streamproc.instances.credentials_check import (  # noqa: F401 (the API's shapes)
    halo_error_body,
    options_json,
)
from streamproc.web.validation import OBSCURED, IntegrationBody

HIDDEN = ("client_secret_encrypted", "webhook_password_hash", "link_generation")
MAX_ACTIVITY = 500
_ERRORS = (
    HaloError,
    HaloAuthError,
    HaloScopeError,
    HaloTenantError,
    HaloPermissionError,
    HaloValidationError,
    HaloNotFoundError,
    HaloRateLimitedError,
    HaloUnavailableError,
)
ACTIONS: dict[str, str] = {cls.reason: cls.action for cls in _ERRORS}
"""What an administrator should do, per failure reason (shown beside the last error)."""


def load_json_value(raw: Any) -> Any:
    """A table value as a Python object (tables may hold dicts or JSON text/bytes)."""
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return raw


def load_config(raw: Any) -> IntegrationConfig | None:
    """The stored config from a ``configs`` table value; None when absent or unreadable."""
    data = load_json_value(raw)
    if not isinstance(data, dict):
        return None
    try:
        return IntegrationConfig.model_validate(data)
    except ValidationError:
        return None


def obscure_config(config: IntegrationConfig) -> dict[str, Any]:
    """The config as JSON: secret shown as ``********``, hash and ciphertext left out."""
    data = config.model_dump(mode="json", exclude=set(HIDDEN))
    data["client_secret"] = OBSCURED
    return data


def build_config(
    company_id: str,
    body: IntegrationBody,
    *,
    client_secret_encrypted: str,
    webhook_username: str,
    webhook_password_hash: str,
    link_generation: str | None,
    now: datetime,
) -> IntegrationConfig:
    """The IntegrationConfig to publish for a validated body."""
    fields = body.model_dump(exclude={"client_secret"})
    return IntegrationConfig(
        company_id=company_id,
        client_secret_encrypted=client_secret_encrypted,
        webhook_username=webhook_username,
        webhook_password_hash=webhook_password_hash,
        link_generation=link_generation,
        updated_at=now,
        **fields,
    )


def normalize_status(
    raw: Any, config: IntegrationConfig | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The status in the ``core.status`` shape (missing keys filled, unknown keys dropped), the
    dry-run hours summed as ``dry_run`` (the last 24 h up to ``now``; None when nothing)."""
    data = load_json_value(raw)
    status = empty_status()
    if isinstance(data, dict):
        for key in status:
            if key in data and data[key] is not None:
                status[key] = data[key]
        if isinstance(data.get("last_error"), dict):
            status["last_error"] = data["last_error"]
    counters = status["counters"] if isinstance(status["counters"], dict) else {}
    status["counters"] = {**empty_status()["counters"], **counters}
    if config is not None and not config.enabled:
        status["state"] = "disabled"
    if isinstance(status.get("last_error"), dict):
        reason = status["last_error"].get("reason")
        status["last_error"] = {**status["last_error"], "action": ACTIONS.get(str(reason))}
    hours = status.pop("dry_run_hours", None)
    summary = dry_run_summary({"dry_run_hours": hours}, now or datetime.now(UTC))
    status["dry_run"] = summary and {**summary, "sentence": dry_run_sentence(summary)}
    return status


def status_after_save(raw: Any, config: IntegrationConfig) -> dict[str, Any]:
    """The status right after ``config`` was saved (what the config agent will also compute)."""
    return normalize_status(apply_config(normalize_status(raw), config), config)


def activity_newest_first(raw: Any, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` entries of an ``activity`` table value (stored oldest first)."""
    data = load_json_value(raw)
    if not isinstance(data, list):
        return []
    entries = [load_json_value(e) for e in data]
    return [e for e in reversed(entries) if isinstance(e, dict)][: max(0, limit)]


def parse_limit(value: str | None, default: int = 50) -> int | None:
    """The ``?limit=`` value (1..500), or None when it is not a number in range."""
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 6:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ACTIVITY else None


def webhook_path(company_id: str) -> str:
    """Relative URL Halo's webhook must post to for ``company_id``."""
    return f"/api/v1/halopsa/webhook/{quote(company_id, safe='')}"
