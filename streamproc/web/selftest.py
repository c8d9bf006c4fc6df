"""``POST …/integrations/halopsa/self-test`` and ``POST …/check`` (drift) (admin; SPEC §8).

The view never calls Halo: it sends a ``RunSelfTest`` job to the owner of the company's Halo
instance (the jobs topic, keyed by the instance, like the pipeline's work: within the
instance's budget), whose report comes back on the replies topic to the company's lane. The
lane keeps it as ``status.self_test``; this worker owns the company's partition (requests are
forwarded here), so the view waits for the report with the test's id to appear there.

Body (optional): ``{"write": true|false}``: create, read back and close a test ticket under the
default client. Default: true in live mode, false in dry run (a dry run writes nothing to Halo
unless asked to).

``…/check`` (no body) re-checks the ids and names the config holds (ticket type, priorities,
default client and site, close status, serial field); its report is ``status.drift_check``, and a
missing one puts the status in ``error`` with what to do (``core.selftest.with_report``).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faust.web import Request, Response, View

from streamproc.contracts import IntegrationConfig
from streamproc.core.jobs import HaloJob
from streamproc.core.selftest import RunSelfTest
from streamproc.topology import HALO_JOBS
from streamproc.web.common import Configured, guarded, read_body
from streamproc.web.shaping import load_json_value
from streamproc.web.validation import parse_json, validation_failed

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime

log = logging.getLogger("streamproc.web")
WAIT = 60.0  # seconds the view waits for the report (the owner may have a queue)
NOT_CONFIGURED = {
    "error": "not_configured",
    "message": "no HaloPSA integration is saved: save it before running its self-test",
}


def wants_write(raw: bytes, config: IntegrationConfig) -> bool:
    """Whether to create the test ticket: the body's ``write``, else not in dry run."""
    data = parse_json(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise validation_failed([{"field": "(body)", "message": "expected a JSON object"}])
    write = data.get("write", config.mode == "live")
    if not isinstance(write, bool):
        raise validation_failed([{"field": "write", "message": "must be true or false"}])
    return write


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """The answer: ``{test_id, ok, write, steps[{name, ok, ms, detail, fix?, skipped?}], at}``."""
    steps = [
        {k: v for k, v in step.items() if v is not None and not (k == "skipped" and not v)}
        for step in report.get("steps", [])
    ]
    return {
        "test_id": report.get("event_id"),
        "ok": report.get("ok"),
        "write": report.get("write"),
        "purpose": report.get("purpose", "self_test"),
        "steps": steps,
        "at": report.get("at"),
    }


def register(app: faust.App, base: str, runtime: Runtime, *, configured: Configured) -> None:
    """Attach the view (``configured``: the integration views' admission and config)."""
    jobs = runtime.topic(HALO_JOBS).get_topic_name()
    statuses = runtime.topology.company_status

    def latest(company_id: str, field: str) -> dict[str, Any] | None:
        status = load_json_value(statuses.get(company_id.encode()))
        report = status.get(field) if isinstance(status, dict) else None
        return report if isinstance(report, dict) else None

    async def run(view: View, config: IntegrationConfig, action: RunSelfTest) -> Response:
        """Send ``action`` to the instance owner; answer with its report once the lane has it."""
        company_id = config.company_id
        job = HaloJob.of(config, action, datetime.now(UTC))
        await runtime.outbox.append(jobs, config.instance.encode(), job.model_dump_json().encode())
        log.info("%s %s of company %r sent", action.purpose, action.event_id, company_id)
        field = "self_test" if action.purpose == "self_test" else "drift_check"
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            report = latest(company_id, field)
            if report is not None and report.get("event_id") == action.event_id:
                return view.json(report_json(report))
            await asyncio.sleep(0.1)
        message = (
            f"no answer from the owner of the Halo instance within {WAIT:g} s (its queue may"
            " be long: see status.halo_backlog); the report will be in the status"
            f" (GET …/integrations/halopsa, status.{field})"
        )
        body = {"error": "self_test_timeout", "message": message, "test_id": action.event_id}
        return view.json(body, status=504)

    @app.page(base + "/self-test")
    class SelfTest(View):
        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            config = await configured(self, request, company_id, raw, NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            write = wants_write(raw, config)
            action = RunSelfTest(company_id=company_id, event_id=uuid.uuid4().hex, write=write)
            return await run(self, config, action)

    @app.page(base + "/check")
    class DriftCheck(View):
        @guarded
        async def post(self, request: Request, company_id: str) -> Response:
            raw = await read_body(request)
            config = await configured(self, request, company_id, raw, NOT_CONFIGURED)
            if not isinstance(config, IntegrationConfig):
                return config
            test_id = uuid.uuid4().hex
            action = RunSelfTest(company_id=company_id, event_id=test_id, purpose="check")
            return await run(self, config, action)
