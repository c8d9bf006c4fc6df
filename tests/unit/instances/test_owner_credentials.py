"""Credential tests run as jobs of the instance owner; the answer reaches the waiting view."""

from __future__ import annotations

import asyncio

from streamproc.core.credentials import CredentialsTested, TestCredentials
from streamproc.core.jobs import HaloJob, job_id
from streamproc.engine.answers import Answers
from tests.unit.instances.test_owner import CONFIG, JOBS, Executor, Record, T, owner, run

OPTIONS = {"ticket_types": [{"id": 1}], "priorities": [], "ticket_type_id": 1}


class CredentialsExecutor(Executor):
    async def test_credentials(self, action, config):
        self.calls.append(action)
        return CredentialsTested(event_id=action.event_id, options=OPTIONS)


def credentials_job(event: str = "t1") -> HaloJob:
    action = TestCredentials(company_id="acme", event_id=event)
    return HaloJob(job_id=job_id(action), company_id="acme", config=CONFIG, action=action, at=T)


async def test_a_view_of_the_owners_worker_gets_the_answer_without_kafka() -> None:
    o, runtime = owner(CredentialsExecutor())
    runtime.answers = Answers()
    job = credentials_job()
    with runtime.answers.expect(job.job_id) as answer:
        await run(o, Record(job, 10))
        got = await asyncio.wait_for(answer, 1)
    assert got.options == OPTIONS
    assert runtime.outbox.sent == []  # settled in-process: no reply record
    assert len(runtime.answers) == 0  # the wait is forgotten once over
    assert job.instance in o.instances  # run in the instance's budget (seeded, saved)


async def test_the_answer_travels_to_the_companys_partition_when_no_view_waits_here() -> None:
    o, runtime = owner(CredentialsExecutor())
    runtime.answers = Answers()
    await run(o, Record(credentials_job("t2"), 11))
    (reply,) = runtime.outbox.replies()
    assert reply.company_id == "acme"  # its lane (where the view runs) settles it
    assert runtime.outbox.sent[0][1] == b"acme"
    assert reply.outcome == CredentialsTested(event_id="t2", options=OPTIONS)
    assert reply.job_id == credentials_job("t2").job_id
    assert JOBS.partition == 3


async def test_answers_settle_only_a_waiting_view_once() -> None:
    answers = Answers()
    assert not answers.settle("nobody", 1)
    with answers.expect("j") as answer:
        assert answers.settle("j", 1)
        assert not answers.settle("j", 2)  # a replayed job's second answer
        assert await answer == 1
    assert not answers.settle("j", 3)
