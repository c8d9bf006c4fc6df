"""After a rebalance, input partitions without a committed offset are re-read from offset 0."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import AsyncMock

from faust.types import TP

from streamproc.agents import replay_uncommitted


def fake(assignment: set[TP], committed: dict[TP, int | None]):
    consumer = SimpleNamespace(
        assignment=lambda: assignment,
        seek_to_committed=AsyncMock(return_value=committed),
        seek=AsyncMock(),
    )
    inputs = SimpleNamespace(topics=("alerts",))
    return SimpleNamespace(consumer=consumer), SimpleNamespace(
        topology=SimpleNamespace(inputs=inputs)
    )


async def test_partitions_with_no_commit_are_read_from_the_start() -> None:
    p0, p1, other = TP("alerts", 0), TP("alerts", 1), TP("x-changelog", 0)
    app, runtime = fake({p0, p1, other}, {p0: None, p1: 42, other: None})
    await replay_uncommitted(app, runtime)
    app.consumer.seek.assert_awaited_once_with(p0, 0)


async def test_a_worker_with_no_partitions_does_not_seek() -> None:
    app, runtime = fake(set(), {})
    app.consumer.seek_to_committed.side_effect = AssertionError("No partitions are assigned")
    await replay_uncommitted(app, runtime)  # aiokafka asserts on an empty assignment
    app.consumer.seek.assert_not_awaited()
