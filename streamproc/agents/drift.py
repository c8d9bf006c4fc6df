"""Drift checks nobody asked for (issue 16.4): daily per configured company, and after a Halo
error that suggests drift. When each is due is decided in ``core/drift.py``.

Both send the same job as ``POST …/check`` (``RunSelfTest(purpose="check")``) to the owner of
the company's Halo instance; its report comes back to the company's lane, which keeps it as
``status.drift_check`` and, when a configured id is missing in Halo, puts the status in
``error`` with what to do (``core.selftest.with_report``). The daily checks are ``background``
jobs: the owner runs them on spare budget only. This worker checks the companies whose
partitions it owns (their configs and statuses are here).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from streamproc.contracts import IntegrationConfig
from streamproc.core.drift import daily_check_due, recheck_due, suggests_drift
from streamproc.core.jobs import HaloJob
from streamproc.core.selftest import RunSelfTest
from streamproc.topology import HALO_JOBS, INTEGRATION_CONFIG

if TYPE_CHECKING:
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)

RESEND = 900.0  # seconds before a check asked for and not reported is asked for again
PER_TICK = 5  # daily checks asked for per tick at most (their moments are spread anyway)
SCAN_SLICE = 500  # configs read between two yields to the event loop


def tick_every(interval: float) -> float:
    """Seconds between two looks for due daily checks."""
    return max(1.0, min(30.0, interval / 10))


class DriftChecks:
    """Asks the instance owners for the drift checks of this worker's companies."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.asked: dict[str, float] = {}  # company → when a check was last asked (epoch s)
        self._jobs = runtime.topic(HALO_JOBS).get_topic_name()
        self._configs = runtime.topic(INTEGRATION_CONFIG).get_topic_name()

    def after(self, company_id: str, config: IntegrationConfig | None, outcome: Any) -> None:
        """A Halo job of the company answered ``outcome``: ask for a check if it failed in a way
        that suggests drift, unless one was asked for within the debounce."""
        reason, message = getattr(outcome, "reason", None), getattr(outcome, "message", None)
        if config is None or not suggests_drift(reason, message):
            return
        debounce = self.runtime.settings.drift_recheck_debounce
        if not recheck_due(self.asked.get(company_id), time.time(), debounce):
            return
        log.info("company %r: Halo refused %s; checking its config for drift", company_id, reason)
        self._ask(config, background=False)

    async def tick(self) -> None:
        """Ask for the daily checks that are due (errors are logged, never raised)."""
        app = self.runtime.app
        if not self.runtime.joined or app.rebalancing:
            return
        try:
            await self._daily()
        except Exception as exc:  # e.g. partitions moved while reading: next tick
            log.warning("daily drift checks not asked for: %s", exc)

    async def _daily(self) -> None:
        interval = self.runtime.settings.drift_check_interval
        owned = {
            tp.partition
            for tp in self.runtime.app.assignor.assigned_actives()
            if tp.topic == self._configs
        }
        partition_for = self.runtime.outbox.partition_for
        statuses = self.runtime.topology.company_status
        now, asked = time.time(), 0
        for n, (key, value) in enumerate(list(self.runtime.topology.configs.items()), 1):
            if n % SCAN_SLICE == 0:
                await asyncio.sleep(0)
            if partition_for(self._configs, key) not in owned:
                continue  # a standby copy: the company's owner checks it
            company = key.decode()
            last = _checked_at(statuses.get(key))
            pending = self.asked.get(company)
            if pending is not None and (last or 0.0) < pending and now - pending < RESEND:
                continue  # asked for, not reported yet
            config = _config(value)
            if config is None or not config.enabled:
                continue
            if daily_check_due(company, last, config.updated_at.timestamp(), now, interval):
                self._ask(config, background=True)
                asked += 1
                if asked >= PER_TICK:
                    return

    def _ask(self, config: IntegrationConfig, *, background: bool) -> None:
        company = config.company_id
        self.asked[company] = time.time()
        action = RunSelfTest(
            company_id=company, event_id=uuid.uuid4().hex, purpose="check", background=background
        )
        job = HaloJob.of(config, action, datetime.now(UTC))
        key, value = config.instance.encode(), job.model_dump_json().encode()
        self.runtime.outbox.append(self._jobs, key, value).add_done_callback(_log_failure)


def _config(value: Any) -> IntegrationConfig | None:
    data = _json(value)
    if not isinstance(data, dict):
        return None
    try:
        return IntegrationConfig.model_validate(data)
    except ValueError:
        return None


def _checked_at(value: Any) -> float | None:
    """When the company's config was last checked for drift (its latest report), if ever."""
    status = _json(value)
    report = status.get("drift_check") if isinstance(status, dict) else None
    at = report.get("at") if isinstance(report, dict) else None
    try:
        return datetime.fromisoformat(at).timestamp() if isinstance(at, str) else None
    except ValueError:
        return None


def _json(value: Any) -> Any:
    if isinstance(value, bytes | str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _log_failure(delivery: asyncio.Future[None]) -> None:
    if not delivery.cancelled() and delivery.exception() is not None:
        log.warning("a drift check did not reach Kafka: %s", delivery.exception())
