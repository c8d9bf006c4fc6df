"""`POST /api/v1/halopsa/webhook/{company_id}`: Halo tells us a ticket changed (a hint).

Basic auth per company, checked against the stored digest on the worker owning the company (see
:mod:`streamproc.web.guard`: microseconds per check). A wrong password from a source address or
for a company that failed too often gets 429 instead of 401; a right one is never refused, so
one misconfigured tenant retrying from a hosted Halo's shared addresses cannot block the others'
deliveries. Only an old scrypt hash (slow to check) is refused before it is checked. Each ticket
id in the delivery becomes a ``halopsa.ticket-observations`` record; the observations agent
re-reads the ticket from Halo.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from faust.web import Request, Response, View

from streamproc.topology import TICKET_OBSERVATIONS
from streamproc.web.common import forward_to_owner, guarded, read_body, unauthorized
from streamproc.web.guard import Refusal
from streamproc.web.legacy_hash import BusyError
from streamproc.web.security import is_legacy
from streamproc.web.shaping import load_config
from streamproc.web.validation import check_company_id, parse_json
from streamproc.web.webhook_payload import observation, ticket_ids

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard

log = logging.getLogger("streamproc.web")


def register(app: faust.App, runtime: Runtime, guard: Guard) -> None:
    """Attach the webhook receiver."""
    configs = runtime.topology.configs
    topic = runtime.topic(TICKET_OBSERVATIONS)

    @app.page("/api/v1/halopsa/webhook/{company_id}")
    class HaloWebhook(View):
        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            source = guard.source(request)
            if check_company_id(company_id) is not None:
                refused = await refusal(source, None)
                if refused is not None:
                    return refused.answer(self)
                guard.failed("webhook", "bad_company_id", source)
                return unauthorized(self, "Basic")
            raw = await read_body(request)
            routed = await forward_to_owner(
                app, self, configs, company_id, request, raw, forwarding_key=guard.keys.forwarding
            )
            if routed is not None:
                return routed  # the owner checks, counts and holds refusals
            config = load_config(configs.get(company_id.encode()))
            if is_legacy(config.webhook_password_hash if config else None):
                refused = await refusal(source, company_id)  # before a slow check
                if refused is not None:
                    return refused.answer(self)
            try:
                problem = await guard.webhook_problem(request.headers.get("Authorization"), config)
            except BusyError:
                busy = guard.busy("webhook")
                await busy.held()
                return busy.answer(self)
            if problem is not None:
                refused = await refusal(source, company_id)
                if refused is not None:
                    return refused.answer(self)
                guard.failed("webhook", problem, source, company_id)
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

    async def refusal(source: str, company_id: str | None) -> Refusal | None:
        refused = guard.refusal("webhook", source, company_id)
        if refused is not None:
            await refused.held()
        return refused
