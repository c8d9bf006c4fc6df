"""Input records for the runs: alert events from the scenario builders, integration configs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.fernet import Fernet

from streamproc.contracts import IntegrationConfig, encode
from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.scenario import alert_event
from tests.support.worker import SECRET_KEY

Record = tuple[bytes, bytes]


def company(i: int) -> str:
    return f"co-{i:04d}"


def tenant(run: str, n: int) -> str:
    """Halo instance ``n`` of ``run``: a sandbox tenant (own data, rate limiter, journal)."""
    return f"{run}h{n:04d}"


def alert_record(n: int, companies: int, computers: int) -> tuple[str, Record]:
    """The n-th raise of a distinct alert; alerts cycle over ``computers`` computers per company.

    Returns (event_id, (key, value)).
    """
    co = company(n % companies)
    machine = (n // companies) % computers
    # Serials are per company: companies sharing a Halo instance must not share asset lookups.
    serial = f"SN{n % companies:04d}{machine:05d}"
    event = alert_event(co, f"alert-{n:07d}", "raised", minute=n % 600, serial=serial)
    event["computer"]["watchman_id"] = f"wm-{machine}"
    event["computer"]["name"] = f"Mac {machine}"
    return event["event_id"], (co.encode(), json.dumps(event).encode())


def alerts(total: int, companies: int, computers: int) -> list[tuple[str, Record]]:
    """``total`` distinct raised alerts spread evenly over ``companies``."""
    return [alert_record(n, companies, computers) for n in range(total)]


def config_record(i: int, *, enabled: bool, halo_url: str = "https://halo.invalid") -> Record:
    """Company ``i``'s integration config (``halo_url``: its Halo instance when enabled)."""
    config = IntegrationConfig.model_validate(
        {
            "company_id": company(i),
            "enabled": enabled,
            "base_url": halo_url,
            "client_id": DEMO_CLIENT_ID,
            "client_secret_encrypted": Fernet(SECRET_KEY).encrypt(DEMO_CLIENT_SECRET.encode()),
            "default_tickettype_id": 1,
            "default_priority_id": 3,
            "default_client_id": 13,
            "default_site_id": 24,
            "use_reference_email": False,
            "updated_at": datetime.now(UTC),
        }
    )
    return company(i).encode(), encode(config)
