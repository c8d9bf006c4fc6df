"""Readable builders and observers for end-to-end scenarios (events in, results and tickets out)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from streamproc.kafka.connection import KafkaConnection
from tests.support.kafka_io import consume_all, produce
from tests.support.worker import http_get, wait_for

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def alert_event(
    company: str,
    alert_id: str,
    event_type: str = "raised",
    *,
    minute: int = 0,
    serial: str | None = "C02ABC123XYZ",
    email: str | None = None,
    visible: bool = True,
    muted: bool = False,
    name: str = "Disk almost full",
    at: datetime | None = None,
    watchman_id: str = "wm-1001",
    computer_name: str = "Alice's MacBook Pro",
) -> dict[str, Any]:
    """An alert lifecycle event as upstream publishes it (at ``at``, else T0 + ``minute``)."""
    return {
        "event_id": f"ev-{uuid.uuid4().hex[:12]}",
        "event_type": event_type,
        "occurred_at": (at or T0 + timedelta(minutes=minute)).isoformat(),
        "company_id": company,
        "alert": {
            "id": alert_id,
            "name": name,
            "summary": "The boot volume has less than 5% free space.",
            "severity": "critical",
            "visible": visible,
            "muted": muted,
        },
        "computer": {
            "watchman_id": watchman_id,
            "name": computer_name,
            "serial_number": serial,
            "platform": "mac",
            "os_version": "14.6",
            "reference": {"email": email} if email else {},
        },
    }


def warning_event(company: str, warning_id: str, at: datetime | None = None) -> dict[str, Any]:
    """A manual warning raised by a user on a computer."""
    return {
        "event_id": f"mw-{uuid.uuid4().hex[:12]}",
        "occurred_at": (at or T0).isoformat(),
        "company_id": company,
        "warning": {
            "id": warning_id,
            "title": "Replace battery",
            "body": "Battery health at 61%.",
            "created_by": "tech@msp.example",
        },
        "computer": {
            "watchman_id": "wm-2002",
            "name": "Front desk PC",
            "serial_number": "PC0DESK0042",
            "platform": "windows",
        },
    }


class Stack:
    """One test's topics (by prefix) and Halo tenant, observed from outside the worker."""

    def __init__(self, bootstrap: str | KafkaConnection, prefix: str, halo_url: str) -> None:
        self.bootstrap, self.prefix, self.halo_url = bootstrap, prefix, halo_url

    def send(self, topic: str, *events: dict[str, Any] | bytes, key: str | None = None) -> None:
        records = [(key or (e["company_id"] if isinstance(e, dict) else None), e) for e in events]
        produce(self.bootstrap, f"{self.prefix}{topic}", records)

    def records(self, topic: str) -> list[Any]:
        return [v for _, v in consume_all(self.bootstrap, f"{self.prefix}{topic}", idle=0.5)]

    def results(self) -> list[dict[str, Any]]:
        return self.records("halopsa.ticket-results")

    def result_for(self, event: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            found = [r for r in self.results() if r["event_id"] == event["event_id"]]
            return found[-1] if found else None

        return wait_for(probe, timeout, f"result for {event['event_id']}")

    def tickets(self) -> list[dict[str, Any]]:
        status, body = http_get(f"{self.halo_url}/_sandbox/tickets")
        assert status == 200, body
        return body if isinstance(body, list) else body.get("tickets", [])

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        status, body = http_get(f"{self.halo_url}/_sandbox/tickets/{ticket_id}")
        assert status == 200, body
        return body

    def journal(self, **query: str) -> list[dict[str, Any]]:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        status, body = http_get(f"{self.halo_url}/_sandbox/journal?{qs}")
        assert status == 200, body
        return body if isinstance(body, list) else body.get("entries", [])

    def admin(self, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.halo_url}/_sandbox/{path}",
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read() or b"null")
