"""Answers a web view waits for, by job id, in this worker process.

A view that needs a Halo answer right away (a credential test, ``core/credentials.py``) sends a
job to the owner of the Halo instance and waits here for the job's id. The answer arrives one of
two ways: the owner runs in this process and settles it directly, or it travels on the replies
topic, keyed by the company, to the company's lane, which runs on this worker because the view
does too (requests are answered by the worker that owns the company's partition). An answer
nobody waits for any more (the view gave up, or the job was replayed) is dropped: nothing keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any


class Answers:
    """Futures of the answers this worker's views wait for, by job id."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Any]] = {}

    @contextlib.contextmanager
    def expect(self, job_id: str) -> Iterator[asyncio.Future[Any]]:
        """``with answers.expect(job_id) as answer: …; await asyncio.wait_for(answer, …)``:
        register before sending the job, so that an answer faster than the send is not lost."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[job_id] = future
        try:
            yield future
        finally:
            if self._waiting.get(job_id) is future:
                del self._waiting[job_id]

    def settle(self, job_id: str | None, answer: Any) -> bool:
        """Hand ``answer`` to the view waiting for ``job_id``; False when none waits here."""
        future = self._waiting.get(job_id or "")
        if future is None or future.done():
            return False
        future.set_result(answer)
        return True

    def __len__(self) -> int:
        return len(self._waiting)
