"""A company's lane with Halo work out: the alert's later events wait for its reply, others don't.

The real dispatcher and pipeline, with tables and the outbox in memory: records go in as the
agent would submit them, jobs come out keyed by the Halo instance, and replies go back in.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from types import SimpleNamespace

from faust.types import TP

from streamproc.agents.dispatch import CompanyDispatcher
from streamproc.agents.handover import Handover, LocalReply
from streamproc.agents.pipeline import Pipeline
from streamproc.contracts.outputs import Would
from streamproc.core import TicketClosedByUs, TicketCreated, TicketPreviewed, state_key
from streamproc.core.jobs import HaloJob, HaloReply
from streamproc.metrics import Metrics
from tests.e2e.conftest import halo_config
from tests.support.scenario import alert_event
from tests.unit.agents.test_batch import FakeStore

T = datetime(2026, 12, 2, tzinfo=UTC)
CONFIG = halo_config("acme", "https://acme.halopsa.example")


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict]] = []

    def append(self, topic, key, value, partition=None):
        self.sent.append((topic, key, json.loads(value)))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def on(self, topic: str) -> list[dict]:
        return [v for t, _, v in self.sent if t == topic]


class Record:
    context = None  # the context faust delivered it in (ContextStore checks it is there)

    def __init__(self, topic: str, offset: int, value: dict, key: bytes = b"acme") -> None:
        self.tp = TP(topic, 0)
        self.topic, self.partition, self.offset = topic, 0, offset
        self.key, self.value = key, json.dumps(value).encode()
        self.acked = False

    def ack(self) -> None:
        self.acked = True


class ContextStore(FakeStore):
    """As engine/tables.TableStore: a record is read and written in the context its stream
    delivered it in, so a record without one fails."""

    def get(self, record, key: bytes):
        if record is not None:
            record.context  # noqa: B018 - AttributeError as TableStore would raise
        return super().get(record, key)

    def put(self, record, key: bytes, value) -> asyncio.Future[None]:
        record.context  # noqa: B018
        return super().put(record, key, value)


def pipeline() -> tuple[Pipeline, Outbox]:
    outbox = Outbox()
    stores = SimpleNamespace(
        alert_state=ContextStore(),
        company_status=ContextStore(),
        configs=ContextStore(),
        activity=ContextStore(),
    )
    stores.configs.data[(0, b"acme")] = CONFIG.model_dump(mode="json")
    runtime = SimpleNamespace(
        stores=stores,
        topology=SimpleNamespace(alert_state=SimpleNamespace(items=lambda: [])),
        outbox=outbox,
        metrics=Metrics(),
        topic=lambda name: SimpleNamespace(get_topic_name=lambda: name),
    )
    return Pipeline(runtime), outbox  # type: ignore[arg-type]


async def feed(dispatcher: CompanyDispatcher, p: Pipeline, *records: Record) -> None:
    handlers = {
        "watchman.alerts": p.on_alert,
        "halopsa.instance-replies": p.on_reply,
    }
    for record in records:
        handler = handlers[record.topic]

        async def guarded(r, h=handler):
            await p.guarded(r, h)

        dispatcher.submit(record, guarded)
    await asyncio.wait_for(_drained(dispatcher), 5)


async def _drained(dispatcher: CompanyDispatcher) -> None:
    while dispatcher.queued:  # noqa: ASYNC110 - the dispatcher offers no "empty" event
        await asyncio.sleep(0.001)


def reply(job: dict, outcome) -> dict:
    return HaloReply(
        job_id=job["job_id"],
        company_id="acme",
        subject=job["subject"],
        outcome=outcome,
        at=T,
    ).model_dump(mode="json")


async def test_an_alerts_clear_waits_for_its_create_while_another_alert_goes_on() -> None:
    p, outbox = pipeline()
    dispatcher = CompanyDispatcher(batch_scope=p.batched.batch)
    raise_a = Record("watchman.alerts", 1, alert_event("acme", "a1", minute=0))
    clear_a = Record("watchman.alerts", 2, alert_event("acme", "a1", "cleared", minute=5))
    raise_b = Record("watchman.alerts", 3, alert_event("acme", "b1", minute=6, serial="SN-B"))
    await feed(dispatcher, p, raise_a, clear_a, raise_b)

    jobs = outbox.on("halopsa.instance-jobs")
    assert [j["action"]["kind"] for j in jobs] == ["open_ticket", "open_ticket"]
    assert {j["action"]["alert_id"] for j in jobs} == {"a1", "b1"}  # b1 did not wait for a1
    keys = {k for t, k, _ in outbox.sent if t == "halopsa.instance-jobs"}
    assert keys == {CONFIG.instance.encode()}  # keyed by the Halo instance
    assert outbox.on("halopsa.ticket-results") == []  # results come with the replies
    assert not any(r.acked for r in (raise_a, clear_a, raise_b))  # nothing finished yet

    job_a = next(j for j in jobs if j["action"]["alert_id"] == "a1")
    created = TicketCreated(
        event_id=job_a["action"]["event_id"],
        intent_key=job_a["action"]["intent_key"],
        halo_ticket_id=7,
    )
    await feed(dispatcher, p, Record("halopsa.instance-replies", 4, reply(job_a, created)))

    results = outbox.on("halopsa.ticket-results")
    assert [(r["alert_id"], r["outcome"]) for r in results] == [("a1", "created")]
    assert raise_a.acked  # finished with its reply
    assert not clear_a.acked  # handled now: its close is out, so it waits for that reply
    close = outbox.on("halopsa.instance-jobs")[-1]
    assert close["action"]["kind"] == "close_ticket"
    assert close["action"]["event_id"] == json.loads(clear_a.value)["event_id"]

    closed = TicketClosedByUs(event_id=close["action"]["event_id"], halo_ticket_id=7)
    await feed(dispatcher, p, Record("halopsa.instance-replies", 5, reply(close, closed)))
    results = outbox.on("halopsa.ticket-results")
    assert [(r["alert_id"], r["outcome"]) for r in results] == [
        ("a1", "created"),
        ("a1", "closed"),
    ]
    assert clear_a.acked
    assert not raise_b.acked  # still waiting for its own reply
    state = p.batched.stores.alert_state.value(state_key("acme", "a1").encode())
    assert state["status"] == "closed"


async def test_a_late_reply_of_another_job_does_not_release_the_hold() -> None:
    p, outbox = pipeline()
    dispatcher = CompanyDispatcher(batch_scope=p.batched.batch)
    raise_a = Record("watchman.alerts", 1, alert_event("acme", "a1", minute=0))
    repeat = Record("watchman.alerts", 2, alert_event("acme", "a1", minute=1))
    await feed(dispatcher, p, raise_a, repeat)
    (job,) = outbox.on("halopsa.instance-jobs")
    stranger = {**job, "job_id": "open_ticket:someone-else:x"}
    created = TicketCreated(
        event_id=job["action"]["event_id"], intent_key=job["action"]["intent_key"], halo_ticket_id=7
    )
    await feed(dispatcher, p, Record("halopsa.instance-replies", 3, reply(stranger, created)))
    assert not raise_a.acked  # not its job's reply: the hold stays (the outcome is applied)
    assert not repeat.acked
    await feed(dispatcher, p, Record("halopsa.instance-replies", 4, reply(job, created)))
    assert raise_a.acked
    assert repeat.acked  # a repeat raise of an open ticket: skipped at once, no job
    reasons = [r["reason"] for r in outbox.on("halopsa.ticket-results")]
    assert reasons == ["ticket_created", "already_open"]
    assert len(outbox.on("halopsa.instance-jobs")) == 1
    assert isinstance(HaloJob.model_validate(job), HaloJob)


# This worker's own instance owner: jobs and replies handed over without Kafka (handover.py).


def handed_over(p: Pipeline, dispatcher: CompanyDispatcher) -> tuple[Handover, list[HaloJob]]:
    async def guarded(record):
        await p.guarded(record, p.on_local_reply)

    handover = Handover(dispatcher, p.batched.holds, guarded)
    taken: list[HaloJob] = []
    handover.take_job = lambda job: taken.append(job) or True
    p.outputs.handover = handover
    return handover, taken


def created_for(job: HaloJob, ticket: int = 7) -> HaloReply:
    action = job.action
    outcome = TicketCreated(
        event_id=action.event_id, intent_key=action.intent_key, halo_ticket_id=ticket
    )
    return HaloReply(
        job_id=job.job_id, company_id="acme", subject=job.subject, outcome=outcome, at=T
    )


async def test_a_job_and_its_reply_are_handed_over_when_this_worker_owns_the_instance() -> None:
    p, outbox = pipeline()
    dispatcher = CompanyDispatcher(batch_scope=p.batched.batch)
    handover, taken = handed_over(p, dispatcher)
    raise_a = Record("watchman.alerts", 1, alert_event("acme", "a1", minute=0))
    await feed(dispatcher, p, raise_a)
    assert [j.action.kind for j in taken] == ["open_ticket"]
    assert outbox.on("halopsa.instance-jobs") == []  # not through Kafka
    assert not raise_a.acked

    stranger = created_for(taken[0]).model_copy(update={"job_id": "open_ticket:other:x"})
    assert not handover.offer_reply(stranger)  # not the job the alert waits for: Kafka
    assert handover.offer_reply(created_for(taken[0]))
    await asyncio.wait_for(_drained(dispatcher), 5)
    results = outbox.on("halopsa.ticket-results")
    assert [(r["alert_id"], r["reason"]) for r in results] == [("a1", "ticket_created")]
    assert raise_a.acked
    assert not handover.offer_reply(created_for(taken[0]))  # answered: nothing waits for it
    assert dispatcher.acks.waiting(raise_a.tp) == 0  # the reply itself is nothing to ack


async def test_a_handed_over_reply_that_sends_a_job_leaves_its_record_waiting_in_kafka() -> None:
    """The reply is in no topic: if its outcome sends a job (the alert cleared meanwhile: close
    the new ticket), the record it answers must keep waiting, so that a crash replays it."""
    p, outbox = pipeline()
    dispatcher = CompanyDispatcher(batch_scope=p.batched.batch)
    handover, taken = handed_over(p, dispatcher)
    raise_a = Record("watchman.alerts", 1, alert_event("acme", "a1", minute=0))
    await feed(dispatcher, p, raise_a)
    key = state_key("acme", "a1").encode()
    stored = p.batched.stores.alert_state.data[(0, key)]
    stored["last_cleared_at"] = "2030-01-01T00:00:00Z"  # cleared while the create was out

    assert handover.offer_reply(created_for(taken[0]))
    await asyncio.wait_for(_drained(dispatcher), 5)
    assert [j.action.kind for j in taken] == ["open_ticket", "close_ticket"]
    assert not raise_a.acked  # waits for the close now
    assert p.batched.holds.held(key).record is raise_a

    close = taken[1]
    closed = TicketClosedByUs(event_id=close.action.event_id, halo_ticket_id=7)
    answer = HaloReply(
        job_id=close.job_id, company_id="acme", subject=close.subject, outcome=closed, at=T
    )
    assert handover.offer_reply(answer)
    await asyncio.wait_for(_drained(dispatcher), 5)
    assert raise_a.acked
    outcomes = [r["outcome"] for r in outbox.on("halopsa.ticket-results")]
    assert outcomes == ["created", "closed"]


async def test_a_batch_that_ends_on_a_stale_handed_over_reply_still_writes_its_status() -> None:
    """A handed-over reply whose alert no longer waits for it (answered meanwhile) is dropped;
    when it is the last record of a batch, the batch's results are still folded into the
    company status, in the company's partition (the chaos run found a lane retrying such a
    batch forever)."""
    p, outbox = pipeline()
    dispatcher = CompanyDispatcher(batch_scope=p.batched.batch)
    _, taken = handed_over(p, dispatcher)
    raise_a = Record("watchman.alerts", 1, alert_event("acme", "a1", minute=0))
    await feed(dispatcher, p, raise_a)
    stale = created_for(taken[0]).model_copy(update={"job_id": "open_ticket:other:x"})
    clear_b = Record("watchman.alerts", 2, alert_event("acme", "b1", "cleared", minute=1))

    async def guarded_alert(record):
        await p.guarded(record, p.on_alert)

    async def guarded_reply(record):
        await p.guarded(record, p.on_local_reply)

    dispatcher.submit(clear_b, guarded_alert)  # a result to fold at the batch's end
    dispatcher.submit(LocalReply(stale, raise_a), guarded_reply)  # the same batch, last
    await asyncio.wait_for(_drained(dispatcher), 5)

    # the batch ended (it was retried forever before: _drained timed out)
    assert dispatcher.acks.waiting(clear_b.tp) == 2  # clear_b done, behind raise_a's offset
    results = outbox.on("halopsa.ticket-results")
    assert [(r["alert_id"], r["reason"]) for r in results] == [("b1", "no_ticket")]
    status = p.batched.stores.company_status.data[(0, b"acme")]
    assert status["counters"]["skipped"] == {"no_ticket": 1}
    assert not raise_a.acked  # still waits for its own reply


async def test_dry_run_previews_travel_both_ways_and_write_nothing() -> None:
    """A dry-run raise sends a PreviewTicket job; its answer comes back handed over in-process
    or through the replies topic, and either way makes a skipped/dry_run result, no command."""
    p, outbox = pipeline()
    dry = CONFIG.model_copy(update={"mode": "dry_run"})
    p.batched.stores.configs.data[(0, b"acme")] = dry.model_dump(mode="json")
    dispatcher = CompanyDispatcher(batch_scope=p.batched.batch)
    handover, taken = handed_over(p, dispatcher)
    raise_a = Record("watchman.alerts", 1, alert_event("acme", "a1", minute=0))
    await feed(dispatcher, p, raise_a)
    handover.take_job = lambda job: False  # the instance moved: b1's job goes through Kafka
    raise_b = Record("watchman.alerts", 2, alert_event("acme", "b1", minute=0, serial="SN-B"))
    await feed(dispatcher, p, raise_b)
    (job_b,) = outbox.on("halopsa.instance-jobs")
    assert [j.action.kind for j in taken] == ["preview_ticket"]
    assert job_b["action"]["kind"] == "preview_ticket"
    assert not raise_a.acked
    assert not raise_b.acked

    would = Would(action="create", client_id=13, site_id=24, routed_by="default_client")
    local = TicketPreviewed(event_id=taken[0].action.event_id, would=would)
    answer = HaloReply(
        job_id=taken[0].job_id, company_id="acme", subject=taken[0].subject, outcome=local, at=T
    )
    assert handover.offer_reply(answer)
    await asyncio.wait_for(_drained(dispatcher), 5)
    remote = TicketPreviewed(event_id=job_b["action"]["event_id"], would=would)
    await feed(dispatcher, p, Record("halopsa.instance-replies", 3, reply(job_b, remote)))

    results = outbox.on("halopsa.ticket-results")
    assert [(r["alert_id"], r["reason"], r["would"]["action"]) for r in results] == [
        ("a1", "dry_run", "create"),
        ("b1", "dry_run", "create"),
    ]
    assert raise_a.acked
    assert raise_b.acked
    assert outbox.on("watchman.alert-commands") == []
    state = p.batched.stores.alert_state.value(state_key("acme", "a1").encode())
    assert (state["status"], state["halo_ticket_id"]) == ("idle", None)
    assert state["dry_run_at"] is not None
