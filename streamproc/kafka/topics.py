"""Create the worker's topics before it starts, with explicit partition counts."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streamproc.kafka.connection import KafkaConnection, client_kwargs
from streamproc.topology import TopicSpec

log = logging.getLogger(__name__)


class TopicMismatchError(RuntimeError):
    """An existing topic has another partition count than the settings ask for."""


async def ensure_topics(
    connection: str | KafkaConnection, specs: Iterable[TopicSpec], replication: int = 1
) -> None:
    """Create missing topics; fail clearly when an existing one has the wrong partition count.

    Co-partitioning (tables and their source topics) depends on equal partition counts, so a
    mismatch is a configuration error to fix, not something to paper over.
    """
    specs = list(specs)
    admin = AIOKafkaAdminClient(**client_kwargs(connection))
    await admin.start()
    try:
        # Describe only topics that exist: a metadata request naming a missing topic would make a
        # broker with auto.create.topics.enable create it with its default partition count.
        present = set(await admin.list_topics()) & {s.name for s in specs}
        existing = await admin.describe_topics(sorted(present)) if present else []
        counts = {t["topic"]: len(t["partitions"]) for t in existing if t["error_code"] == 0}
        missing = [s for s in specs if s.name not in counts]
        wrong = [s for s in specs if s.name in counts and counts[s.name] != s.partitions]
        if wrong:
            detail = ", ".join(
                f"{s.name} has {counts[s.name]} (want {s.partitions})" for s in wrong
            )
            raise TopicMismatchError(
                f"partition counts differ from STREAMPROC_PARTITIONS: {detail}; "
                "set STREAMPROC_PARTITIONS to match the existing topics"
            )
        if missing:
            await _create(admin, missing, replication)
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, specs: list[TopicSpec], replication: int) -> None:
    new = [
        NewTopic(
            name=s.name,
            num_partitions=s.partitions,
            replication_factor=replication,
            topic_configs={"cleanup.policy": "compact"} if s.compacted else {},
        )
        for s in specs
    ]
    with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
        await admin.create_topics(new)
    log.info("created topics: %s", ", ".join(s.name for s in specs))
