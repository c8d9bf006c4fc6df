"""Create, check and describe the topics a deployment needs (admin client side of topic_plan)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from streamproc.kafka.connection import KafkaConnection, client_kwargs
from streamproc.kafka.topic_plan import (
    TopicState,
    Wanted,
    differences,
    new_topic_configs,
    partition_problem,
)

log = logging.getLogger(__name__)

CONFIGS = ("cleanup.policy", "min.insync.replicas")


class TopicMismatchError(RuntimeError):
    """Existing topics have partition counts the worker cannot work with; says what to do."""


@contextlib.asynccontextmanager
async def admin_client(connection: str | KafkaConnection) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(**client_kwargs(connection))
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def read_topics(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, TopicState]:
    """The state of those of ``names`` that exist (partitions, replicas, the configs we set)."""
    # Describe only topics that exist: a metadata request naming a missing topic would make a
    # broker with auto.create.topics.enable create it with its default partition count.
    present = sorted(set(await admin.list_topics()) & set(names))
    if not present:
        return {}
    described = await admin.describe_topics(present)
    configs: dict[str, dict[str, str]] = {name: {} for name in present}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name, None) for name in present]
    for response in await admin.describe_configs(resources):
        for error, _, _, name, entries, *_ in response.resources:
            if error == 0:
                configs[name] = {e[0]: e[1] for e in entries if e[0] in CONFIGS}
    return {
        t["topic"]: TopicState(
            t["topic"],
            len(t["partitions"]),
            min((len(p["replicas"]) for p in t["partitions"]), default=0),
            configs.get(t["topic"], {}),
        )
        for t in described
        if t["error_code"] == 0
    }


async def ensure_topics(connection: str | KafkaConnection, specs: Iterable[Wanted]) -> None:
    """At worker start: refuse partition counts it cannot work with; create missing topics."""
    specs = list(specs)
    async with admin_client(connection) as admin:
        states = await read_topics(admin, [s.name for s in specs])
        problem = partition_problem(specs, states, specs[0].partitions if specs else 0)
        if problem:
            raise TopicMismatchError(problem)
        for spec in specs:
            found = differences(spec, states.get(spec.name))
            if spec.name in states and found:  # the operator's to fix; the worker can run
                log.warning("topic %s: %s", spec.name, "; ".join(found))
        missing = [s for s in specs if s.name not in states]
        if missing:
            await _create(admin, missing)


async def create_topics(connection: str | KafkaConnection, specs: Iterable[Wanted]) -> list[str]:
    """Create the missing ones of ``specs``; returns their names."""
    specs = list(specs)
    async with admin_client(connection) as admin:
        states = await read_topics(admin, [s.name for s in specs])
        missing = [s for s in specs if s.name not in states]
        if missing:
            await _create(admin, missing)
    return [s.name for s in missing]


async def describe_topics(
    connection: str | KafkaConnection, specs: Iterable[Wanted]
) -> list[tuple[Wanted, TopicState | None, list[str]]]:
    """Each wanted topic, its state on the cluster (None: missing) and the differences."""
    specs = list(specs)
    async with admin_client(connection) as admin:
        states = await read_topics(admin, [s.name for s in specs])
    return [(s, states.get(s.name), differences(s, states.get(s.name))) for s in specs]


async def _create(admin: AIOKafkaAdminClient, specs: list[Wanted]) -> None:
    new = [
        NewTopic(
            name=s.name,
            num_partitions=s.partitions,
            replication_factor=s.replication,
            topic_configs=new_topic_configs(s),
        )
        for s in specs
    ]
    with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
        await admin.create_topics(new)
    log.info("created topics: %s", ", ".join(s.name for s in specs))
