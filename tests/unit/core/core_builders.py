"""Readable builders for core tests: alert events, configs and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from streamproc.contracts import AlertEvent, IntegrationConfig, ManualWarning

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """T0 plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


def an_event(
    event_type: str = "raised",
    event_id: str = "ev-1",
    *,
    minute: int = 0,
    visible: bool = True,
    muted: bool = False,
    alert_id: str = "a-1",
    **computer: Any,
) -> AlertEvent:
    """An alert event for company ``acme``; keyword extras go into ``computer``."""
    return AlertEvent.model_validate(
        {
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": at(minute),
            "company_id": "acme",
            "alert": {
                "id": alert_id,
                "name": "Disk space low",
                "summary": "Only 2 GB free",
                "severity": "high",
                "visible": visible,
                "muted": muted,
            },
            "computer": {"watchman_id": "c-1", "name": "MacBook", "platform": "mac", **computer},
        }
    )


def a_config(**overrides: Any) -> IntegrationConfig:
    """An enabled integration config for ``acme`` with a default client and site."""
    fields: dict[str, Any] = {
        "company_id": "acme",
        "enabled": True,
        "base_url": "https://acme.halopsa.com",
        "client_id": "cid",
        "client_secret_encrypted": "token",
        "default_client_id": 10,
        "default_site_id": 20,
        "updated_at": T0,
    }
    return IntegrationConfig.model_validate({**fields, **overrides})


def a_warning(**warning: Any) -> ManualWarning:
    """A manual warning for ``acme``."""
    details = {"id": "w-1", "title": "Fan noise", "body": "Loud\nvery loud", "created_by": "Ann"}
    return ManualWarning.model_validate(
        {
            "event_id": "ev-w",
            "occurred_at": T0,
            "company_id": "acme",
            "warning": {**details, **warning},
            "computer": {"watchman_id": "c-1", "name": "MacBook", "platform": "mac"},
        }
    )
