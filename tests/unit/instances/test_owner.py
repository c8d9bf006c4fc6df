"""The instance owner: one run per job (and per ticket intent), replies, marks, budget, sweep."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import UTC, datetime
from types import SimpleNamespace

from faust.types import TP

from streamproc.core import (
    CloseTicket,
    OpenTicket,
    ResolvePendingTicket,
    TicketClosedByUs,
    TicketCreated,
    TicketCreateFailed,
    state_key,
)
from streamproc.core.jobs import HaloJob, HaloReply, WatchTickets, job_id
from streamproc.halopsa.limiter import SlidingWindowLimiter
from streamproc.instances.owner import InstanceOwner
from streamproc.metrics import Metrics
from tests.e2e.conftest import halo_config
from tests.support.scenario import alert_event

T = datetime(2026, 12, 2, tzinfo=UTC)
JOBS = TP("halopsa.instance-jobs", 3)


class Store:
    """A table as TableStore offers it (one partition is enough here)."""

    def __init__(self) -> None:
        self.data: dict[bytes, object] = {}
        self.table = SimpleNamespace(items=lambda: list(self.data.items()))

    def get(self, record, key):
        return self.data.get(key)

    def put(self, record, key, value):
        self.data[key] = value
        return _done()

    def delete(self, record, key):
        self.data.pop(key, None)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict]] = []

    def append(self, topic, key, value, partition=None):
        self.sent.append((topic, key, json.loads(value)))
        return _done()

    def partition_for(self, topic, key):
        return 3

    def replies(self) -> list[HaloReply]:
        return [HaloReply.model_validate(v) for _, _, v in self.sent]


def _done() -> asyncio.Future[None]:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class Budgets:
    def __init__(self, limit: int = 300, window: float = 300.0) -> None:
        self.by_instance: dict[str, SlidingWindowLimiter] = {}
        self.limit, self.window = limit, window

    def budget(self, instance: str) -> SlidingWindowLimiter:
        if instance not in self.by_instance:
            self.by_instance[instance] = SlidingWindowLimiter(self.limit, self.window)
        return self.by_instance[instance]


class Executor:
    """Stands in for HaloExecutor: answers from a script, counts calls."""

    def __init__(self, *outcomes) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[object] = []
        self.gate: asyncio.Event | None = None
        self.closed: dict[int, str] = {}
        self.swept: list[list[int]] = []

    async def _next(self, action):
        self.calls.append(action)
        if self.gate is not None:
            await self.gate.wait()
        outcome = self.outcomes.pop(0)
        return outcome(action) if callable(outcome) else outcome

    async def open_ticket(self, action, config):
        return await self._next(action)

    async def close_ticket(self, action, config):
        return await self._next(action)

    async def closed_tickets(self, config, ticket_ids):
        self.swept.append(list(ticket_ids))
        return {t: how for t, how in self.closed.items() if t in ticket_ids}


def owner(executor: Executor, **settings) -> tuple[InstanceOwner, SimpleNamespace]:
    defaults = {
        "halo_retry_window": 60.0,
        "halo_retry_max_delay": 0.01,
        "halo_rate_limit": 300,
        "halo_rate_window": 300.0,
    }
    runtime = SimpleNamespace(
        settings=SimpleNamespace(**{**defaults, **settings}),
        outbox=Outbox(),
        halo=Budgets(),
        metrics=Metrics(),
        topic=lambda name: SimpleNamespace(get_topic_name=lambda: name),
    )
    o = InstanceOwner(runtime, Store(), Store())  # type: ignore[arg-type]
    o.executor = executor  # type: ignore[assignment]
    return o, runtime


class Record:
    def __init__(self, job: HaloJob, offset: int) -> None:
        self.tp, self.topic, self.partition, self.offset = JOBS, JOBS.topic, 3, offset
        self.value = job.model_dump_json().encode()
        self.acked = 0

    def ack(self) -> None:
        self.acked += 1


CONFIG = halo_config("acme", "https://acme.halopsa.example")


def open_job(alert: str = "a1", event: str = "e1") -> HaloJob:
    source = alert_event("acme", alert)
    action = OpenTicket(
        company_id="acme", alert_id=alert, intent_key=f"wm-{alert}", event_id=event, source=source
    )
    return HaloJob(
        job_id=job_id(action),
        company_id="acme",
        config=CONFIG,
        action=action,
        subject=state_key("acme", alert),
        at=T,
    )


def created(action) -> TicketCreated:
    return TicketCreated(event_id=action.event_id, intent_key=action.intent_key, halo_ticket_id=7)


async def run(o: InstanceOwner, *records: Record) -> None:
    for record in records:
        await o.submit(record)
    running = [t for tasks in o._tasks.values() for t in tasks]
    await asyncio.gather(*running)


async def test_a_job_is_run_once_answered_to_its_company_and_acked_after_the_reply() -> None:
    o, runtime = owner(Executor(created))
    record = Record(open_job(), 10)
    await run(o, record)
    (reply,) = runtime.outbox.replies()
    assert (reply.company_id, reply.subject) == ("acme", state_key("acme", "a1"))
    assert reply.outcome == created(open_job().action)
    assert runtime.outbox.sent[0][1] == b"acme"  # keyed by company: back to its partition
    assert record.acked == 1


async def test_a_replayed_job_gets_its_first_reply_again_without_calling_halo() -> None:
    executor = Executor(created)
    o, runtime = owner(executor)
    await run(o, Record(open_job(), 10))
    await run(o, Record(open_job(), 10))  # the same record, replayed after a crash
    assert len(executor.calls) == 1
    first, second = runtime.outbox.replies()
    assert first.outcome == second.outcome


async def test_a_job_that_started_before_a_crash_looks_its_ticket_up_before_creating() -> None:
    executor = Executor(created)
    o, _ = owner(executor)
    job = open_job()
    o.marks.data[f"{job.instance}\x1f{job.job_id}".encode()] = {"at": 1.0}  # started, not done
    await run(o, Record(job, 10))
    assert isinstance(executor.calls[0], ResolvePendingTicket)


async def test_two_jobs_for_one_ticket_intent_run_it_once() -> None:
    executor = Executor(created)
    executor.gate = asyncio.Event()
    o, runtime = owner(executor)
    original, replayed = open_job(event="e1"), open_job(event="e1")
    replayed = replayed.model_copy(update={"job_id": "resolve_pending_ticket:e1:wm-a1"})
    await o.submit(Record(original, 10))
    await o.submit(Record(replayed, 11))
    await asyncio.sleep(0.01)
    executor.gate.set()
    await run(o)
    assert len(executor.calls) == 1
    assert [r.outcome for r in runtime.outbox.replies()] == [created(original.action)] * 2


async def test_a_retriable_failure_is_told_once_and_retried_as_a_lookup() -> None:
    def unavailable(action):
        return TicketCreateFailed(
            event_id=action.event_id,
            intent_key=action.intent_key,
            reason="halo_unavailable",
            message="Halo answered 503.",
            retriable=True,
            ambiguous=True,
        )

    executor = Executor(unavailable, unavailable, created)
    o, runtime = owner(executor)
    await run(o, Record(open_job(), 10))
    assert [type(a) for a in executor.calls] == [
        OpenTicket,
        ResolvePendingTicket,
        ResolvePendingTicket,
    ]
    notice, reply = runtime.outbox.replies()
    assert notice.notice is not None
    assert notice.notice.kind == "halo_retrying"
    assert reply.outcome == created(open_job().action)


async def test_the_budget_spent_is_kept_and_a_new_owner_starts_from_it() -> None:
    executor = Executor(lambda a: TicketClosedByUs(event_id=a.event_id, halo_ticket_id=7))
    o, runtime = owner(executor)
    close = CloseTicket(company_id="acme", alert_id="a1", halo_ticket_id=7, event_id="e2")
    job = HaloJob(job_id=job_id(close), company_id="acme", config=CONFIG, action=close, at=T)
    budget = runtime.halo.budget(job.instance)
    for _ in range(5):
        async with budget.slot():
            pass
    await run(o, Record(job, 12))
    saved = o.budget_table.data[job.instance.encode()]["sent_at"]
    assert len(saved) == 5
    successor, runtime2 = owner(
        Executor(lambda a: TicketClosedByUs(event_id="e3", halo_ticket_id=7))
    )
    successor.budget_table.data = o.budget_table.data  # the changelog, recovered
    await run(successor, Record(job.model_copy(update={"job_id": "x"}), 13))
    assert runtime2.halo.budget(job.instance).used() == 5


async def test_the_sweep_reads_watched_tickets_in_hundreds_on_spare_budget_only() -> None:
    executor = Executor()
    executor.closed = {150: "closed"}
    o, runtime = owner(executor)
    tickets = {i: f"a{i}" for i in range(1, 251)}
    watch = WatchTickets(company_id="acme", tickets=tickets, every_seconds=60, event_id="w1")
    job = HaloJob(job_id=job_id(watch), company_id="acme", config=CONFIG, action=watch, at=T)
    await run(o, Record(job, 14))
    await o.sweep()
    assert [len(batch) for batch in executor.swept] == [100, 100, 50]
    (reply,) = runtime.outbox.replies()
    assert reply.subject == state_key("acme", "a150")
    assert reply.outcome.halo_ticket_id == 150
    await o.sweep()  # each ticket once per its period
    assert len(executor.swept) == 3
    o.instances[job.instance].checked.clear()
    budget = runtime.halo.budget(job.instance)
    for _ in range(250):  # a busy budget: the sweep waits
        await budget.acquire()
        budget.release()
    await o.sweep()
    assert len(executor.swept) == 3


async def test_marks_older_than_an_hour_are_removed_by_the_timer_not_by_the_jobs() -> None:
    o, _ = owner(Executor(created, created))
    await run(o, Record(open_job("a1", "e1"), 10), Record(open_job("a2", "e2"), 11))
    marks = o.marks.data  # type: ignore[attr-defined]
    assert len(marks) == 2

    await o.forget_old_marks()  # not due yet: the marks table is read every 10 minutes
    o._marks_swept = -math.inf  # long ago, however young this machine's monotonic clock is
    await o.forget_old_marks()  # due, but both marks are fresh
    assert len(marks) == 2

    old_key, fresh_key = sorted(marks)
    marks[old_key] = {**marks[old_key], "at": 0.0}
    o._marks_swept = -math.inf  # long ago, however young this machine's monotonic clock is
    await o.forget_old_marks()
    assert set(marks) == {fresh_key}

    # a partition that moved away: its marks are its new owner's to remove
    marks[fresh_key] = {**marks[fresh_key], "at": 0.0}
    await o.revoke({JOBS})
    o._marks_swept = -math.inf  # long ago, however young this machine's monotonic clock is
    await o.forget_old_marks()
    assert set(marks) == {fresh_key}


# Jobs handed over by this worker's lanes (agents/handover.py).


async def test_a_handed_over_job_waits_for_a_job_of_its_partition_and_then_runs_here() -> None:
    closed = TicketClosedByUs(event_id="e3", halo_ticket_id=7)
    executor = Executor(created, created, closed)
    o, runtime = owner(executor)
    assert not o.take_local(open_job("a2", "e2"))  # no job of its partition yet: Kafka takes it
    await run(o, Record(open_job(), 10))  # the owner's first job of partition 3, from Kafka
    replies: list[HaloReply] = []
    o.hand_over = lambda reply: replies.append(reply) or True
    create = open_job("a2", "e2")
    action = CloseTicket(company_id="acme", alert_id="a1", halo_ticket_id=7, event_id="e3")
    close = HaloJob(job_id=job_id(action), company_id="acme", config=CONFIG, action=action, at=T)
    assert o.take_local(create)
    assert o.take_local(close)
    await run(o)
    assert [r.job_id for r in replies] == [create.job_id, close.job_id]  # to the lane directly
    assert len(runtime.outbox.replies()) == 1  # only the first job's reply went to Kafka
    # A handed-over create has no marks: only its lane can resend it, as a lookup first. A
    # close is marked as a job from Kafka is: a resent one finds its reply.
    assert f"{create.instance}\x1f{create.job_id}".encode() not in o.marks.data
    assert o.marks.data[f"{close.instance}\x1f{close.job_id}".encode()]["done"]


async def test_a_handed_over_job_of_a_revoked_partition_goes_to_its_new_owner() -> None:
    executor = Executor(created, created)
    o, runtime = owner(executor)
    await run(o, Record(open_job(), 10))
    executor.gate = asyncio.Event()  # the handed-over job's create is on its way
    local = open_job("a2", "e2")
    assert o.take_local(local)
    await asyncio.sleep(0.01)
    await o.revoke({JOBS})
    moved = [v for t, _, v in runtime.outbox.sent if t == "halopsa.instance-jobs"]
    assert [m["job_id"] for m in moved] == [local.job_id]  # in Kafka now, same job
    # its create may have reached Halo: the new owner looks the ticket up before creating it
    assert moved[0]["action"]["kind"] == "resolve_pending_ticket"
    assert moved[0]["action"]["intent_key"] == local.action.intent_key
    assert not o.take_local(open_job("a3", "e3"))  # no longer ours


async def test_a_handed_over_create_handled_again_after_a_failure_looks_its_ticket_up() -> None:
    executor = Executor(created, created, created)
    o, _ = owner(executor)
    await run(o, Record(open_job(), 10))
    handed: list[HaloReply] = []

    def hand_over(reply: HaloReply) -> bool:
        if not handed:
            handed.append(reply)
            raise RuntimeError("the reply did not get through")
        handed.append(reply)
        return True

    o.hand_over = hand_over
    assert o.take_local(open_job("a2", "e2"))
    await run(o)
    # the first run created the ticket before its reply failed: the second looks it up
    assert [type(a) for a in executor.calls] == [OpenTicket, OpenTicket, ResolvePendingTicket]
    assert len(handed) == 2
