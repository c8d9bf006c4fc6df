"""Jobs and replies between this worker's lanes and its own instance owner, without Kafka.

A lane's job normally travels through the jobs topic to the owner of its Halo instance, and the
reply through the replies topic back to the company's lane (``core/jobs.py``): two produces, two
fetches, two decodes. When one worker owns both the company and its Halo instance (every worker
of a small deployment), the lane hands the job to the owner directly, and the owner hands the
reply to the lane, as one more record of the company's lane queue.

Nothing is lost on a crash: a lane sends a job only once the alert's pending intent is in Kafka,
and the record that sent it stays unacknowledged until the reply was applied, so a crash replays
the record and its job again; the owner's ``started`` and ``done`` marks (in Kafka before the
Halo call and before the reply counts) make that replay find the ticket or the reply. A job or
reply that cannot be handed over (the partition moved, the owner has not yet run a job of that
partition, a full queue) goes through Kafka as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faust.types import TP

    from streamproc.agents.dispatch import CompanyDispatcher, Handler
    from streamproc.agents.holds import Holds
    from streamproc.core.jobs import HaloJob, HaloReply


class LocalReply:
    """A reply as a lane record: the company's key and the held record's position and context
    (the lane handles it as the held record: ``Pipeline.on_local_reply``). Its batch reads and
    writes the company's tables in that context, also when the reply turns out stale and the
    batch ends on it."""

    __slots__ = ("context", "key", "offset", "partition", "reply", "topic", "tp")

    local = True  # not a Kafka record: nothing to acknowledge

    def __init__(self, reply: HaloReply, held: Any) -> None:
        self.reply = reply
        self.key: bytes = reply.company_id.encode()
        self.tp: TP = held.tp  # a rebalance that revokes it drops this reply with the lane
        self.topic: str = held.topic
        self.partition: int = held.partition
        self.offset: int = held.offset
        self.context = held.context  # the company's partition (engine/tables.py)

    @property
    def value(self) -> bytes:
        """The reply as it would have travelled (what a dead letter of it keeps)."""
        return self.reply.model_dump_json().encode()


class Handover:
    """Hands jobs to this worker's instance owner and its replies to this worker's lanes."""

    def __init__(self, dispatcher: CompanyDispatcher, holds: Holds, handler: Handler) -> None:
        self.dispatcher = dispatcher
        self.holds = holds
        self.handler = handler  # Pipeline.on_local_reply, guarded
        self.take_job: Callable[[HaloJob], bool] | None = None  # set by the instance owner

    def offer_job(self, job: HaloJob) -> bool:
        """Have this worker's owner run ``job`` if it owns the job's instance."""
        return self.take_job is not None and self.take_job(job)

    def offer_reply(self, reply: HaloReply) -> bool:
        """Queue ``reply`` in its company's lane if the record it answers is held here."""
        if reply.job_id is None or reply.subject is None or reply.outcome is None:
            return False
        hold = self.holds.held(reply.subject.encode())
        if hold is None or hold.job_id != reply.job_id:
            return False
        if not self.dispatcher.has_room(reply.company_id.encode()):  # Kafka carries it
            return False
        self.dispatcher.submit(LocalReply(reply, hold.record), self.handler)
        return True
