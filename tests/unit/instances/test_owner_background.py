"""A background job (the daily drift check) runs on the instance's spare budget only."""

from __future__ import annotations

import asyncio

from streamproc.core.jobs import HaloJob, job_id
from streamproc.core.selftest import RunSelfTest
from streamproc.instances import owner as owner_module
from tests.unit.instances.test_owner import CONFIG, Executor, Record, T, owner, run


class Checker(Executor):
    async def self_test(self, action, config):
        self.calls.append(action)


def check_job(background: bool, event: str) -> HaloJob:
    action = RunSelfTest(company_id="acme", event_id=event, purpose="check", background=background)
    return HaloJob(job_id=job_id(action), company_id="acme", config=CONFIG, action=action, at=T)


async def _busy(o, runtime) -> None:
    budget = runtime.halo.budget(CONFIG.instance)
    for _ in range(250):  # 250 of 300: more than the sweep's share
        await budget.acquire()
        budget.release()


async def test_a_background_check_waits_for_spare_budget_and_gives_up(monkeypatch) -> None:
    monkeypatch.setattr(owner_module, "SPARE_WAIT", 0.0)
    executor = Checker()
    o, runtime = owner(executor)
    await _busy(o, runtime)
    await run(o, Record(check_job(True, "c1"), 10))
    assert executor.calls == []  # skipped: the next daily check asks again
    await run(o, Record(check_job(False, "c2"), 11))  # asked for: runs at once
    assert len(executor.calls) == 1


async def test_a_background_check_runs_when_the_budget_has_room() -> None:
    executor = Checker()
    o, _ = owner(executor)
    await asyncio.wait_for(run(o, Record(check_job(True, "c3"), 10)), 5)
    assert len(executor.calls) == 1
