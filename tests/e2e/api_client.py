"""Tiny blocking HTTP client for the worker's API in e2e tests."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.worker import ADMIN_TOKEN, WorkerProcess, wait_for

_DEFAULT = object()


@dataclass
class Reply:
    status: int
    body: Any
    text: str
    headers: dict[str, str]


def call(
    method: str,
    url: str,
    body: Any = None,
    *,
    token: Any = _DEFAULT,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Reply:
    """One request; ``token`` defaults to the admin token (None: no Authorization header)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    token = ADMIN_TOKEN if token is _DEFAULT else token
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            payload, status, hdrs = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        payload, status, hdrs = exc.read(), exc.code, dict(exc.headers)
    text = payload.decode(errors="replace")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Reply(status, parsed, text, hdrs)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def api(worker: WorkerProcess, company: str, suffix: str = "") -> str:
    return f"{worker.url}/api/v1/companies/{company}/integrations/halopsa{suffix}"


def body(base_url: str, **overrides: object) -> dict:
    return {
        "enabled": True,
        "base_url": base_url,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "default_tickettype_id": 1,
        "default_priority_id": 3,
        "default_client_id": 13,
        "default_site_id": 24,
        **overrides,
    }


def wait_configured(worker: WorkerProcess, company: str, *others: WorkerProcess) -> dict:
    def probe():
        reply = call("GET", api(worker, company))
        return reply.body if reply.status == 200 else None

    return wait_for(probe, 60, f"GET shows the config of {company}", worker, *others)
