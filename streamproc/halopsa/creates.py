"""Ticket creation per Halo tenant: one request at a time, carrying every ticket that waited.

Halo numbers tickets with a race, so creates go to a tenant one request at a time. A request
carries a JSON array, though, and ``?returnall=true`` answers with every record it created
(halopsa-api.md §2). So the tickets that queued up while a create was on its way go together in
the next request (a group commit, up to :data:`MAX_PER_REQUEST`): an alert storm on a Halo shared
by many companies costs one request per batch, not per ticket, of the hosted budget of 300
requests per 5 minutes, and no ticket waits for more than the request before its own.

Failures: a failure that leaves nothing created or that may have created the tickets (5xx, a
timeout: ``ambiguous``) is every ticket's failure; callers retry with a lookup by
``supplier_reference`` as for a single create. A 4xx on a batch does not say which ticket Halo
refused, so each is then created on its own, after a lookup in case Halo kept some.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streamproc.halopsa import fields as f
from streamproc.halopsa.errors import HaloError, HaloUnavailableError
from streamproc.halopsa.fields import Ticket
from streamproc.halopsa.models import NewTicket

MAX_PER_REQUEST = 100

PostMany = Callable[[Sequence[NewTicket]], Awaitable[list[dict[str, Any]]]]
CreateOne = Callable[[NewTicket, bool], Awaitable[Ticket]]  # (ticket, look it up first)


@dataclass
class _Waiting:
    ticket: NewTicket
    app: str  # the API application posting it: a request carries one application's tickets
    post_many: PostMany
    create_one: CreateOne
    result: asyncio.Future[Ticket] = field(default_factory=lambda: _future())


def _future() -> asyncio.Future[Ticket]:
    future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
    # A caller cancelled while its ticket was on its way no longer awaits the outcome.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


@dataclass
class TenantCreates:
    """The create turn of one tenant and the tickets queued for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queue: list[_Waiting] = field(default_factory=list)

    async def create(
        self, ticket: NewTicket, post_many: PostMany, create_one: CreateOne, *, app: str = ""
    ) -> Ticket:
        """Create ``ticket`` with the tickets queued beside it (all need a supplier reference).

        ``post_many`` posts several tickets and returns Halo's records; ``create_one`` creates one
        ticket, first looking it up by its reference when asked (the fallback after a refused
        batch). Tickets of other API applications (``app``) on the same instance wait for their
        own request: one create at a time per instance, one application's tickets per request.
        """
        me = _Waiting(ticket, app, post_many, create_one)
        self.queue.append(me)
        try:
            while not me.result.done():  # a turn may carry another application's tickets
                async with self.lock:
                    if not me.result.done():
                        head = self.queue[0]
                        batch = [w for w in self.queue if w.app == head.app][:MAX_PER_REQUEST]
                        self.queue[:] = [w for w in self.queue if w not in batch]
                        await _send(batch, head.post_many, head.create_one)
        except asyncio.CancelledError:
            if me in self.queue:
                self.queue.remove(me)  # not sent: nothing was created for it
            raise
        return await me.result


async def _send(batch: list[_Waiting], post_many: PostMany, create_one: CreateOne) -> None:
    try:
        if len(batch) == 1:
            await _one(batch[0], create_one, lookup=False)
            return
        try:
            records = await post_many([w.ticket for w in batch])
        except HaloError as exc:
            if exc.retriable or exc.status is None or exc.status >= 500 or exc.status in (401, 403):
                _fail(batch, exc)
                return
            for waiting in batch:  # which ticket Halo refused is not said: one by one
                await _one(waiting, create_one, lookup=True)
            return
        by_reference = {str(r.get(f.SUPPLIER_REFERENCE)): r for r in records}
        for waiting in batch:
            record = by_reference.get(str(waiting.ticket.supplier_reference))
            if record is None or not f.as_int(record.get(f.ID)):
                _fail([waiting], _ambiguous("Halo's answer to the batch did not include it."))
            else:
                waiting.result.set_result(Ticket.parse(record))
    except BaseException:  # cancelled while posting: the others must not wait forever
        _fail(batch, _ambiguous("The request carrying it was interrupted."))
        raise


async def _one(waiting: _Waiting, create_one: CreateOne, *, lookup: bool) -> None:
    try:
        created = await create_one(waiting.ticket, lookup)
    except HaloError as exc:
        _fail([waiting], exc)
    else:
        waiting.result.set_result(created)


def _fail(batch: Sequence[_Waiting], exc: BaseException) -> None:
    for waiting in batch:  # the same error for each: what Halo said applies to every ticket
        if not waiting.result.done():
            waiting.result.set_exception(exc)


def _ambiguous(why: str) -> HaloError:
    return HaloUnavailableError(
        f"A ticket created in a batch may or may not exist: {why}",
        method="POST",
        path="/api/Tickets",
        ambiguous=True,
    )
