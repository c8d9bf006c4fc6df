"""``GET|POST …/integrations/halopsa/backfill`` (admin; SPEC §8).

GET previews the backfill: the company's alerts raised now that kept a raise without a ticket
(``core/backfill.py``) and would get one, with the routing the config decides (the Halo asset
and requester are looked up when the ticket is created: ``looked_up_at_create``). It reads the
alert states of this worker's partitions (requests are forwarded to the company's owner) and
never calls Halo.

POST starts it: one command record into the company's partition (``halopsa.ticket-
observations``, ``{company_id, backfill_id, at}``) that the company's lane expands
(``agents/backfill.py``); 202 with ``backfill`` progress once the lane has started it. 409 when
the integration is not configured or not enabled, or a backfill is running.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View
from pydantic import ValidationError

from streamproc.contracts import IntegrationConfig
from streamproc.core import backfill as core
from streamproc.core import state_key
from streamproc.core.state import AlertTicketState
from streamproc.topology import TICKET_OBSERVATIONS
from streamproc.web.common import Configured, guarded, read_body
from streamproc.web.shaping import load_json_value

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime

log = logging.getLogger("streamproc.web")
WAIT = 10.0  # seconds POST waits for the lane to start the backfill
STUCK = timedelta(minutes=15)  # a backfill running longer may be started again
NOT_CONFIGURED = {
    "error": "not_configured",
    "message": "no HaloPSA integration is saved: save and enable it before a backfill",
}
NOT_ENABLED = {
    "error": "not_enabled",
    "message": "the HaloPSA integration is turned off: enable it before a backfill",
}


def running(progress: dict | None, now: datetime) -> bool:
    """A backfill is running (and not stuck: one started ``STUCK`` ago may be started again)."""
    if progress is None or progress.get("state") != "running":
        return False
    try:
        started_at = datetime.fromisoformat(str(progress.get("started_at")))
    except ValueError:
        return False
    return now - started_at < STUCK


def progress_json(progress: dict) -> dict[str, Any]:
    """The ``backfill`` object of an answer (the command's id is internal)."""
    keys = ("state", "total", "created", "skipped", "failed", "started_at", "finished_at")
    return {k: progress.get(k) for k in keys}


def register(app: faust.App, base: str, runtime: Runtime, *, configured: Configured) -> None:
    """Attach the view (``configured``: the integration views' admission and config)."""
    tables = runtime.topology
    observations = runtime.topic(TICKET_OBSERVATIONS)

    def states(company_id: str) -> list[AlertTicketState]:
        prefix = state_key(company_id, "").encode()
        found = []
        for key, raw in list(tables.alert_state.items()):
            if not (isinstance(key, bytes) and key.startswith(prefix)):
                continue
            value = load_json_value(raw)
            if (isinstance(value, dict) and value.get("unticketed_raise")) or (
                isinstance(value, dict) and value.get("status") in ("open", "pending")
            ):
                try:
                    found.append(AlertTicketState.model_validate(value))
                except ValidationError:
                    continue  # warning marks share the table
        return found

    def progress(company_id: str) -> dict | None:
        return core.progress_of(load_json_value(tables.company_status.get(company_id.encode())))

    @app.page(base + "/backfill")
    class Backfill(View):
        @guarded
        async def get(self, request: Request, company_id: str) -> Response:
            config = await configured(self, request, company_id, b"", NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            now = datetime.now(UTC)
            return self.json(core.preview(company_id, states(company_id), config, now))

        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            config = await configured(self, request, company_id, raw, NOT_CONFIGURED, 409)
            if not isinstance(config, IntegrationConfig):
                return config
            if not config.enabled:
                return self.json(NOT_ENABLED, status=409)
            now = datetime.now(UTC)
            current = progress(company_id)
            if running(current, now):
                assert current is not None
                body = {
                    "error": "backfill_running",
                    "message": "a backfill is running: its progress is in the integration status",
                    "backfill": progress_json(current),
                }
                return self.json(body, status=409)
            backfill_id = uuid.uuid4().hex
            command = {"company_id": company_id, "backfill_id": backfill_id, "at": now.isoformat()}
            fut = await observations.send(
                key=company_id.encode(), value=json.dumps(command).encode()
            )
            await fut  # durable before we answer 202
            log.info("backfill %s of company %r requested", backfill_id, company_id)
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                current = progress(company_id)
                if current is not None and current.get("id") == backfill_id:
                    return self.json({"backfill": progress_json(current)}, status=202)
                await asyncio.sleep(0.05)
            due = core.preview(company_id, states(company_id), config, now, limit=0)["count"]
            guess = core.started(None, backfill_id, due, now)["backfill"]
            return self.json({"backfill": progress_json({**guess, "state": "running"})}, status=202)
