"""`POST /api/v1/halopsa/webhook/{company_id}`: Halo tells us a ticket changed (a hint).

Basic auth per company, checked against the stored password hash on the worker owning the
company. Each ticket id in the delivery becomes a ``halopsa.ticket-observations`` record; the
observations agent re-reads the ticket from Halo and applies it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from faust.web import Request, Response, View

from streamproc.topology import TICKET_OBSERVATIONS
from streamproc.web.common import forward_to_owner, guarded, read_body, unauthorized
from streamproc.web.security import basic_ok
from streamproc.web.shaping import load_config
from streamproc.web.validation import check_company_id, parse_json
from streamproc.web.webhook_payload import observation, ticket_ids

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime

log = logging.getLogger("streamproc.web")


def register(app: faust.App, runtime: Runtime) -> None:
    """Attach the webhook receiver."""
    configs = runtime.topology.configs
    topic = runtime.topic(TICKET_OBSERVATIONS)

    @app.page("/api/v1/halopsa/webhook/{company_id}")
    class HaloWebhook(View):
        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            if check_company_id(company_id) is not None:
                return unauthorized(self, "Basic")
            routed = await forward_to_owner(app, self, configs, company_id, request, raw)
            if routed is not None:
                return routed
            config = load_config(configs.get(company_id.encode()))
            header = request.headers.get("Authorization")
            if config is None:
                basic_ok(header, None, None)  # same cost as a real check
                return unauthorized(self, "Basic")
            if not basic_ok(header, config.webhook_username, config.webhook_password_hash):
                return unauthorized(self, "Basic")
            payload = parse_json(raw)
            now = datetime.now(UTC)
            ids = ticket_ids(payload)
            pending = [
                await topic.send(
                    key=company_id.encode(),
                    value=json.dumps(observation(company_id, ticket_id, now)).encode(),
                )
                for ticket_id in ids
            ]
            for fut in pending:
                await fut  # acknowledged by the broker before we answer 202
            log.info("webhook for company %r: %d ticket hint(s)", company_id, len(ids))
            return self.json({"accepted": len(ids)}, status=202)
