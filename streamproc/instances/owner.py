"""The owner of a Halo instance: the one place its Halo traffic comes from (SPEC §9).

Jobs (``core/jobs.py``) are keyed by their Halo instance, so each instance's jobs reach the one
worker that owns that key's partition, however many workers there are. That worker runs them
within the instance's budget (``STREAMPROC_HALO_RATE_LIMIT`` per window, kept across owners in
the ``instance-budget`` table), groups its creates (``halopsa/creates.py``: one create request at
a time, up to 100 tickets each), shares its asset and user lookups between companies (the Halo
client's caches are per instance), sweeps its open tickets on spare budget, and answers each job
with a reply keyed by the company.

A job is acknowledged once its reply is in Kafka, or handed to the lane of this worker that waits
for it (``agents/handover.py``), and its ``done`` mark, with the reply, is in Kafka. Replays
are safe: a job marked ``started`` in the ``instance-job-marks`` table before its first Halo call
looks its ticket up before creating one; a job marked ``done`` is answered with the reply it had.

Retriable failures (Halo down, 429) are retried here with backoff for up to
``STREAMPROC_HALO_RETRY_WINDOW``; the company is told once per episode (a notice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from faust.types import TP

from streamproc.agents.dispatch import InOrderAcks
from streamproc.contracts import ContractError, IntegrationConfig, decode_event
from streamproc.core import (
    AddOccurrenceNote,
    CloseTicket,
    OpenTicket,
    OpenWarningTicket,
    PreviewTicket,
    PreviewWarningTicket,
    ReopenTicket,
    ResolvePendingTicket,
    state_key,
)
from streamproc.core.credentials import CredentialsTested, TestCredentials
from streamproc.core.jobs import Backlog, HaloJob, HaloReply, Notice, ObserveTicket, WatchTickets
from streamproc.core.selftest import RunSelfTest
from streamproc.instances.executor import HaloExecutor
from streamproc.secretbox import SecretUnreadableError
from streamproc.topology import HALO_JOBS, HALO_REPLIES

if TYPE_CHECKING:
    from streamproc.agents.intake import InputRecord
    from streamproc.engine.tables import TableStore
    from streamproc.halopsa import HaloError
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)

MARKS_TTL = 3600.0  # seconds a job's mark is kept: replays come within minutes
MARKS_SWEEP_EVERY = 600.0  # seconds between two reads of the marks for expired ones
MARKS_SLICE = 1000  # marks read between two yields to the event loop
SWEEP_SHARE = 0.7  # the sweep runs only while less of the budget is used, and nobody waits
BACKLOG_REPORTED = 30.0  # a backlog longer than this many seconds is announced (every 30 s)
SPARE_WAIT = 600.0  # seconds a background job (a daily drift check) waits for spare budget
MAX_IN_FLIGHT = 5000  # jobs being run by this worker before it stops taking more


HandOver = Callable[[HaloReply], bool]  # a reply to a lane of this worker, if it can take it


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Instance:
    """What the owner keeps about one Halo instance while it owns it."""

    key: str
    tp: TP  # the partition of its jobs
    in_flight: dict[str, str] = field(default_factory=dict)  # job id → company
    watched: dict[str, tuple[IntegrationConfig, dict[int, str], float]] = field(
        default_factory=dict
    )  # company → (config, {ticket: alert}, sweep period)
    checked: dict[int, float] = field(default_factory=dict)  # ticket → last sweep (monotonic)
    budget_seeded: bool = False
    budget_saved: float = 0.0
    backlog_told: float = 0.0  # monotonic time of the last backlog notice (0: none pending)
    backlog_companies: set[str] = field(default_factory=set)


class InstanceOwner:
    """Runs the jobs of the Halo instances whose partitions this worker owns."""

    def __init__(
        self,
        runtime: Runtime,
        budget: TableStore,
        marks: TableStore,
        *,
        hand_over: HandOver | None = None,
    ) -> None:
        self.runtime = runtime
        self.hand_over = hand_over
        self.executor = HaloExecutor(runtime)
        self.budget_table = budget
        self.marks = marks
        self.acks = InOrderAcks()
        self.instances: dict[str, Instance] = {}
        self._tasks: dict[TP, set[asyncio.Task[None]]] = defaultdict(set)
        self._room = asyncio.Event()
        self._last_job: dict[TP, InputRecord] = {}  # a record of each partition, to write in
        self._marks_swept = time.monotonic()
        self._intents: dict[str, asyncio.Future[Any]] = {}  # intent key → its run
        self._local: dict[asyncio.Task[None], HaloJob] = {}  # jobs handed over by our lanes
        self._replies = runtime.topic(HALO_REPLIES).get_topic_name()
        self._jobs = runtime.topic(HALO_JOBS).get_topic_name()

    # Intake (the owner's agent).

    @property
    def in_flight(self) -> int:
        return sum(len(tasks) for tasks in self._tasks.values())

    async def submit(self, record: InputRecord) -> None:
        """Start running the job in ``record`` (waits while too many jobs are running)."""
        while self.in_flight >= MAX_IN_FLIGHT:
            self._room.clear()
            await self._room.wait()
        self.acks.track(record)
        self._last_job[record.tp] = record
        task = asyncio.create_task(self._run(record), name=f"job:{record.tp}:{record.offset}")
        self._tasks[record.tp].add(task)
        task.add_done_callback(lambda done, tp=record.tp: self._finished(tp, done))

    def take_local(self, job: HaloJob) -> bool:
        """Run ``job``, handed over by a lane of this worker, if this worker owns its instance
        and has run a job of its partition since it got it (its tables are written in that
        job's context, as faust writes them in the event being processed)."""
        tp = TP(self._jobs, self.runtime.outbox.partition_for(self._jobs, job.instance.encode()))
        record = self._last_job.get(tp)
        if record is None or self.in_flight >= MAX_IN_FLIGHT:
            return False
        task = asyncio.create_task(self._run_job(job, record, local=True), name=f"job:{tp}:local")
        self._tasks[tp].add(task)
        self._local[task] = job
        task.add_done_callback(lambda done, tp=tp: self._finished(tp, done))
        return True

    def _finished(self, tp: TP, task: asyncio.Task[None]) -> None:
        self._tasks[tp].discard(task)
        self._local.pop(task, None)
        self._room.set()

    async def revoke(self, revoked: set[TP]) -> None:
        """Partitions moved: their jobs are dropped (the new owner replays them). The jobs
        handed over by this worker's lanes are in no topic: they go to the new owner."""
        self.acks.forget(revoked)
        for tp in revoked:
            self._last_job.pop(tp, None)
        doomed = [task for tp in revoked for task in self._tasks.pop(tp, ())]
        moved = [self._local[task] for task in doomed if task in self._local]
        for task in doomed:
            task.cancel()
        for task in doomed:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for key in [k for k, i in self.instances.items() if i.tp in revoked]:
            del self.instances[key]
        for job in moved:  # a create may have been sent: the new owner looks it up first
            if isinstance(job.action, OpenTicket):
                lookup = ResolvePendingTicket(**job.action.model_dump(exclude={"kind"}))
                job = job.model_copy(update={"action": lookup})
            self.runtime.outbox.append(
                self._jobs, job.instance.encode(), job.model_dump_json().encode()
            ).add_done_callback(_log_failure)

    # One job.

    async def _run(self, record: InputRecord) -> None:
        try:
            job = decode_event(HaloJob, record.value)
        except ContractError as exc:
            log.error("dropped an unreadable job at %s@%s: %s", record.tp, record.offset, exc)
            self.acks.done(record)
            return
        await self._run_job(job, record)
        self.acks.done(record)

    async def _run_job(self, job: HaloJob, record: InputRecord, *, local: bool = False) -> None:
        """Run ``job`` until it is done; its tables are written in ``record``'s context
        (``local``: handed over by this worker's lanes)."""
        instance = self._instance(job.instance, record)
        instance.in_flight[job.job_id] = job.company_id
        delay, again = 0.5, False
        try:
            while True:
                try:
                    await self._handle(job, record, instance, local=local, again=again)
                    break
                except (asyncio.CancelledError, SecretUnreadableError):
                    raise
                except Exception:  # Kafka: the reply or a mark did not arrive; do it again
                    log.exception("job %s failed; handling it again in %.1f s", job.job_id, delay)
                    again = True
                    await asyncio.sleep(delay)
                    delay = min(2 * delay, 30.0)
        finally:
            instance.in_flight.pop(job.job_id, None)
        self._save_budget(instance, record)

    async def _handle(
        self,
        job: HaloJob,
        record: InputRecord,
        instance: Instance,
        *,
        local: bool = False,
        again: bool = False,
    ) -> None:
        action = job.action
        if isinstance(action, WatchTickets):
            instance.watched[job.company_id] = (job.config, action.tickets, action.every_seconds)
            return
        if local and isinstance(action, OpenTicket | ResolvePendingTicket):
            # No marks: this create is in no topic, so only its lane can send it again, and a
            # lane resends a create as a lookup first (the pending intent is in Kafka); a moved
            # one goes to Kafka as a lookup first too (``revoke``), and so does one handled
            # ``again`` after a failure (its first run may have created the ticket).
            if again and isinstance(action, OpenTicket):
                action = ResolvePendingTicket(**action.model_dump(exclude={"kind"}))
            outcome = await self._once(job, action)
            if outcome is not None:
                await self._reply(self._answer(job, outcome))
            return
        mark_key = f"{job.instance}\x1f{job.job_id}".encode()
        mark = self.marks.get(record, mark_key)
        if mark and mark.get("done"):
            if mark.get("reply"):
                await self._reply(HaloReply.model_validate(mark["reply"]))
            return
        if mark is None:
            await self.marks.put(record, mark_key, {"at": time.time()})
        elif isinstance(action, OpenTicket):  # it may have created the ticket before a crash
            action = ResolvePendingTicket(**action.model_dump(exclude={"kind"}))
        outcome = await self._once(job, action)
        reply = None if outcome is None else self._answer(job, outcome)
        if reply is not None:
            await self._reply(reply)
        done = {"at": time.time(), "done": True, "reply": reply and reply.model_dump(mode="json")}
        await self.marks.put(record, mark_key, done)

    @staticmethod
    def _answer(job: HaloJob, outcome: Any) -> HaloReply:
        return HaloReply(
            job_id=job.job_id,
            company_id=job.company_id,
            subject=job.subject,
            outcome=outcome,
            at=now(),
        )

    async def _once(self, job: HaloJob, action: Any) -> Any:
        """Run ``action``; a second job for the same ticket intent (a replay meeting its
        original) waits for the first run's outcome instead of creating a second ticket."""
        intent = getattr(action, "intent_key", None)
        if intent is None:
            return await self._attempts(job, action)
        running = self._intents.get(intent)
        if running is not None:
            return await asyncio.shield(running)
        running = self._intents[intent] = asyncio.get_running_loop().create_future()
        try:
            outcome = await self._attempts(job, action)
        except BaseException as exc:
            running.set_exception(exc)
            running.exception()  # retrieved: the waiters get it, or nobody waits
            raise
        else:
            running.set_result(outcome)
            return outcome
        finally:
            del self._intents[intent]

    async def _attempts(self, job: HaloJob, action: Any) -> Any:
        """Run ``action``; while Halo is unavailable or rate limited, wait and try again.

        A create retried after an ambiguous failure first looks the ticket up by its intent
        key. After ``halo_retry_window`` seconds the failure is reported as it is.
        """
        settings = self.runtime.settings
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.halo_retry_window
        delay, announced = 1.0, False
        while True:
            outcome = await self._execute(action, job.config)
            retriable = getattr(outcome, "retriable", False)
            if not retriable or loop.time() + delay > deadline:
                return outcome
            if not announced:
                announced = True
                await self._announce_retry(job, outcome)
            await asyncio.sleep(delay)
            delay = min(delay * 2, settings.halo_retry_max_delay)
            if isinstance(action, OpenTicket):
                action = ResolvePendingTicket(**action.model_dump(exclude={"kind"}))

    async def _execute(self, action: Any, config: IntegrationConfig) -> Any:
        executor = self.executor
        try:
            if isinstance(action, OpenWarningTicket):
                return await executor.open_warning_ticket(action, config)
            if isinstance(action, CloseTicket):
                return await executor.close_ticket(action, config)
            if isinstance(action, ReopenTicket):
                return await executor.reopen_ticket(action, config)
            if isinstance(action, AddOccurrenceNote):
                return await executor.add_occurrence_note(action, config)
            if isinstance(action, PreviewTicket | PreviewWarningTicket):
                return await executor.preview(action, config)
            if isinstance(action, RunSelfTest):
                if action.background and not await self._spare(config.instance):
                    return None  # no spare budget for long: the next daily check asks again
                return await executor.self_test(action, config)
            if isinstance(action, TestCredentials):
                return await executor.test_credentials(action, config)
            if isinstance(action, ObserveTicket):
                return await executor.observe(config, action.halo_ticket_id, action.event_id)
            return await executor.open_ticket(action, config)
        except SecretUnreadableError as exc:  # observe raises what the others report
            log.warning("job for %s: %s", action.company_id, exc)
            return None

    async def _spare(self, key: str) -> bool:
        """Wait (up to ``SPARE_WAIT`` s) until the instance's budget has room for work that can
        wait, as the closure sweep does; False when it never had."""
        budget = self.runtime.halo.budget(key)
        deadline = time.monotonic() + SPARE_WAIT
        while not budget.spare(SWEEP_SHARE):
            if time.monotonic() >= deadline:
                log.info("background check of %s skipped: no spare budget", _label(key))
                return False
            await asyncio.sleep(1.0)
        return True

    async def _announce_retry(self, job: HaloJob, outcome: HaloError | Any) -> None:
        """One notice per outage episode, so the administrator sees why tickets are late."""
        text = (
            f"HaloPSA did not answer ({outcome.reason}): {outcome.message} The ticket will be"
            " created or closed as soon as HaloPSA is reachable again; nothing is lost."
        )
        notice = Notice(
            level="warning",
            kind="halo_retrying",
            message=text,
            alert_id=getattr(job.action, "alert_id", None),
        )
        await self._reply(HaloReply(company_id=job.company_id, notice=notice, at=now()))

    async def _reply(self, reply: HaloReply) -> None:
        if isinstance(reply.outcome, CredentialsTested) and self.runtime.answers.settle(
            reply.job_id, reply.outcome
        ):
            return  # the view waiting for it runs in this worker (engine/answers.py)
        if self.hand_over is not None and self.hand_over(reply):
            return  # its record is held in a lane of this worker (agents/handover.py)
        key = reply.company_id.encode()
        await self.runtime.outbox.append(self._replies, key, reply.model_dump_json().encode())

    # The instance's budget, kept across owners.

    def _instance(self, key: str, record: InputRecord) -> Instance:
        instance = self.instances.get(key)
        if instance is None:
            instance = self.instances[key] = Instance(key, record.tp)
        if not instance.budget_seeded:
            instance.budget_seeded = True
            stored = self.budget_table.get(record, key.encode())
            if stored:
                self.runtime.halo.budget(key).seed(stored.get("sent_at", []))
        return instance

    def _save_budget(self, instance: Instance, record: InputRecord) -> None:
        """Write what the instance's budget spent (at most once a second per instance)."""
        if time.monotonic() - instance.budget_saved < 1.0:
            return
        instance.budget_saved = time.monotonic()
        sent = self.runtime.halo.budget(instance.key).sent_at()
        self.budget_table.put(record, instance.key.encode(), {"sent_at": sent})

    async def forget_old_marks(self) -> None:
        """Every 10 minutes, remove the marks older than an hour of this worker's job partitions.

        The read yields to the event loop every 1,000 marks: an hour of a storm's jobs is a big
        table, and the lanes share the loop.
        """
        if time.monotonic() - self._marks_swept < MARKS_SWEEP_EVERY:
            return
        self._marks_swept = time.monotonic()
        cutoff = time.time() - MARKS_TTL
        partition_for = self.runtime.outbox.partition_for
        old: list[tuple[bytes, TP]] = []
        for n, (key, mark) in enumerate(self.marks.table.items(), 1):
            if (mark or {}).get("at", 0) < cutoff:
                instance = key.split(b"\x1f", 1)[0]
                old.append((key, TP(self._jobs, partition_for(self._jobs, instance))))
            if n % MARKS_SLICE == 0:
                await asyncio.sleep(0)
        for key, tp in old:
            record = self._last_job.get(tp)  # written in the context of a job of its partition
            if record is not None:  # (a partition revoked meanwhile is its new owner's)
                self.marks.delete(record, key)

    # Timers: the closure sweep and the backlog notices.

    async def sweep(self) -> None:
        """Check the watched tickets of each owned instance that has budget to spare.

        One request per 100 tickets (of the companies sharing credentials); creates and closes
        go first: the sweep waits while any job of the instance runs or the budget is busy.
        """
        for instance in list(self.instances.values()):
            budget = self.runtime.halo.budget(instance.key)
            if instance.in_flight or not budget.spare(SWEEP_SHARE):
                continue
            try:
                await self._sweep(instance)
            except Exception as exc:  # the next pass tries again
                log.warning("closure sweep of %s failed: %s", _label(instance.key), exc)

    async def _sweep(self, instance: Instance) -> None:
        due_by_app: dict[str, tuple[IntegrationConfig, dict[int, tuple[str, str]]]] = {}
        clock = time.monotonic()
        for company, (config, tickets, every) in instance.watched.items():
            app = f"{config.client_id}\x00{config.client_secret_encrypted}"
            _, due = due_by_app.setdefault(app, (config, {}))
            for ticket, alert in tickets.items():
                if clock - instance.checked.get(ticket, 0.0) >= every:
                    due[ticket] = (company, alert)
        budget = self.runtime.halo.budget(instance.key)
        for config, due in due_by_app.values():
            order = sorted(due, key=lambda t: instance.checked.get(t, 0.0))
            for start in range(0, len(order), 100):
                if instance.in_flight or not budget.spare(SWEEP_SHARE):
                    return  # jobs came in, or the budget is busy: they go first
                batch = order[start : start + 100]
                closed = await self.executor.closed_tickets(config, batch)
                for ticket in batch:
                    instance.checked[ticket] = time.monotonic()
                for ticket, how in closed.items():
                    company, alert = due[ticket]
                    await self._report_closed(company, alert, ticket, how)

    async def _report_closed(self, company: str, alert: str, ticket: int, how: str) -> None:
        from streamproc.core import HaloReportsClosed

        outcome = HaloReportsClosed(
            event_id=f"sweep-{ticket}-{int(time.time())}", halo_ticket_id=ticket, how=how
        )
        subject = state_key(company, alert)
        await self._reply(HaloReply(company_id=company, subject=subject, outcome=outcome, at=now()))

    async def report_backlogs(self) -> None:
        """When an instance's budget is the bottleneck, tell its waiting companies (and when
        the backlog is gone); metrics either way."""
        metrics = self.runtime.metrics
        for instance in list(self.instances.values()):
            budget = self.runtime.halo.budget(instance.key)
            label = _label(instance.key)
            queued = len(instance.in_flight)
            drain = queued * budget.window / budget.limit
            metrics.halo_budget_used.labels(label).set(budget.used())
            metrics.halo_budget_remaining.labels(label).set(max(0, budget.limit - budget.used()))
            metrics.halo_jobs_queued.labels(label).set(queued)
            companies = set(instance.in_flight.values())
            if drain >= BACKLOG_REPORTED:
                if time.monotonic() - instance.backlog_told < BACKLOG_REPORTED:
                    continue
                instance.backlog_told = time.monotonic()
                instance.backlog_companies |= companies
                await self._tell_backlog(instance, companies, queued, drain)
            elif instance.backlog_told:
                instance.backlog_told = 0.0
                told, instance.backlog_companies = instance.backlog_companies, set()
                for company in told:
                    backlog = Backlog(queued=0, drain_seconds=0)
                    await self._reply(HaloReply(company_id=company, backlog=backlog, at=now()))

    async def _tell_backlog(
        self, instance: Instance, companies: set[str], queued: int, drain: float
    ) -> None:
        minutes = max(1, round(drain / 60))
        text = (
            f"HaloPSA's rate limit is the bottleneck: {queued} actions are queued for this Halo"
            f" instance ({_label(instance.key)}), about {minutes} min to work through at"
            f" {self.runtime.settings.halo_rate_limit} requests per"
            f" {self.runtime.settings.halo_rate_window:g} s. Nothing is lost; tickets follow"
            " in order."
        )
        for company in companies:
            reply = HaloReply(
                company_id=company,
                notice=Notice(level="warning", kind="halo_backlog", message=text),
                backlog=Backlog(queued=queued, drain_seconds=drain),
                at=now(),
            )
            await self._reply(reply)


def _label(instance: str) -> str:
    """The instance as people name it: host (and tenant), no scheme or path."""
    base, _, tenant = instance.partition("|")
    host = base.split("://", 1)[-1].split("/", 1)[0]
    return f"{host}/{tenant}" if tenant else host


def _log_failure(delivery: asyncio.Future[None]) -> None:
    if not delivery.cancelled() and delivery.exception() is not None:
        log.error("a moved job did not reach Kafka: %s", delivery.exception())
