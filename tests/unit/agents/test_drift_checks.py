"""The drift checks a worker asks for by itself: after a drift-like Halo error (debounced) and
at each company's moment of the day (only its own companies, enabled ones, a few per tick)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from faust.types import TP

from streamproc.agents.drift import DriftChecks
from streamproc.core.actions import TicketCreateFailed
from streamproc.core.drift import latest_slot
from streamproc.core.jobs import HaloJob
from tests.e2e.conftest import halo_config

DAY = 86400.0
CONFIGS = "halopsa.integration-config"


class Outbox:
    def __init__(self) -> None:
        self.sent: list[HaloJob] = []

    def append(self, topic, key, value, partition=None):
        self.sent.append(HaloJob.model_validate_json(value))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def partition_for(self, topic, key):
        return 0 if key.startswith(b"mine") else 1


def runtime(configs: dict[bytes, object], statuses: dict[bytes, object] | None = None):
    return SimpleNamespace(
        settings=SimpleNamespace(drift_check_interval=DAY, drift_recheck_debounce=600.0),
        outbox=Outbox(),
        joined=True,
        app=SimpleNamespace(
            rebalancing=False,
            assignor=SimpleNamespace(
                assigned_actives=lambda: {TP("halopsa.integration-config", 0)}
            ),
        ),
        topic=lambda name: SimpleNamespace(get_topic_name=lambda: name),
        topology=SimpleNamespace(configs=configs, company_status=statuses or {}),
    )


def failed(message: str, reason: str = "validation_failed") -> TicketCreateFailed:
    return TicketCreateFailed(event_id="e", intent_key="k", reason=reason, message=message)


async def test_a_drift_like_error_asks_for_one_check_per_debounce() -> None:
    rt = runtime({})
    checks = DriftChecks(rt)  # type: ignore[arg-type]
    config = halo_config("acme", "https://acme.halopsa.example")
    said = "Halo rejected the request. Halo said: Priority 3 is not valid for SLA 99."
    checks.after("acme", config, failed("Halo rejected it. Halo said: Please enter category_1."))
    assert rt.outbox.sent == []
    for _ in range(3):
        checks.after("acme", config, failed(said))
    (job,) = rt.outbox.sent
    assert (job.action.purpose, job.action.background) == ("check", False)
    assert job.instance == config.instance  # to the owner of the company's Halo instance
    checks.asked["acme"] -= 601  # the debounce is over
    checks.after("acme", config, failed(said))
    assert len(rt.outbox.sent) == 2
    checks.after("acme", None, failed(said))  # no config any more: nothing to check
    assert len(rt.outbox.sent) == 2


async def test_daily_checks_of_this_workers_enabled_companies_on_spare_budget() -> None:
    long_ago = datetime.fromtimestamp(time.time() - 3 * DAY, UTC)

    def stored(company: str, **overrides: object) -> dict:
        config = halo_config(company, "https://acme.halopsa.example", **overrides)
        return config.model_copy(update={"updated_at": long_ago}).model_dump(mode="json")

    mine = [f"mine-{n}" for n in range(8)]
    configs = {c.encode(): stored(c) for c in mine}
    configs[b"theirs"] = stored("theirs")  # a standby copy
    configs[b"mine-off"] = stored("mine-off", enabled=False)
    checked = datetime.fromtimestamp(latest_slot("mine-0", time.time(), DAY) + 1, UTC)
    statuses = {b"mine-0": json.dumps({"drift_check": {"at": checked.isoformat()}})}
    rt = runtime(configs, statuses)
    checks = DriftChecks(rt)  # type: ignore[arg-type]
    await checks.tick()
    first = {job.company_id for job in rt.outbox.sent}
    assert len(first) == 5  # a few per tick
    assert all(job.action.background for job in rt.outbox.sent)
    await checks.tick()
    asked = {job.company_id for job in rt.outbox.sent}
    assert asked == set(mine) - {"mine-0"}  # checked since its moment today
    await checks.tick()
    assert len(rt.outbox.sent) == 7  # asked already: not again until reported or RESEND
