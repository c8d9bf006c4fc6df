"""Compare the topics a deployment wants with what the cluster has (pure: no Kafka here).

``streamproc topics check`` lists every difference; a starting worker refuses only the one it
cannot work with: partition counts. Tables are co-partitioned with the input topics (a
company's records and its table rows share a partition number), so every input topic and every
changelog must have ``STREAMPROC_PARTITIONS`` partitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Wanted(Protocol):
    name: str
    partitions: int
    compacted: bool
    replication: int
    min_insync: int | None
    changelog: bool


@dataclass(frozen=True)
class TopicState:
    """A topic as the cluster has it."""

    name: str
    partitions: int
    replication: int
    configs: Mapping[str, str] = field(default_factory=dict)

    @property
    def compacted(self) -> bool:
        return "compact" in self.configs.get("cleanup.policy", "")

    @property
    def min_insync(self) -> int | None:
        value = self.configs.get("min.insync.replicas")
        return int(value) if value else None


def new_topic_configs(spec: Wanted) -> dict[str, str]:
    """Topic-level configs for creating ``spec``."""
    configs = {"cleanup.policy": "compact"} if spec.compacted else {}
    if spec.min_insync is not None:
        configs["min.insync.replicas"] = str(spec.min_insync)
    return configs


def differences(spec: Wanted, state: TopicState | None) -> list[str]:
    """What differs between a wanted topic and the cluster's (empty: as configured)."""
    if state is None:
        return ["missing"]
    found = []
    if state.partitions != spec.partitions:
        found.append(f"{state.partitions} partitions (want {spec.partitions})")
    if state.replication < spec.replication:
        found.append(f"replication factor {state.replication} (want {spec.replication})")
    if spec.min_insync is not None and state.min_insync != spec.min_insync:
        found.append(f"min.insync.replicas {state.min_insync} (want {spec.min_insync})")
    if spec.compacted and not state.compacted:
        found.append("not compacted (want cleanup.policy=compact)")
    if not spec.compacted and state.compacted and not spec.changelog:
        found.append("compacted (want cleanup.policy=delete: events would be lost)")
    return found


def partition_problem(
    specs: Iterable[Wanted], states: Mapping[str, TopicState], setting: int
) -> str | None:
    """Why a worker cannot start on these topics, with what to do; None: partitions agree."""
    specs = list(specs)
    wrong = [
        (s, states[s.name].partitions)
        for s in specs
        if s.name in states and states[s.name].partitions != s.partitions
    ]
    if not wrong:
        return None
    topics = [(s, n) for s, n in wrong if not s.changelog]
    if topics:
        detail = ", ".join(f"{s.name} has {n}" for s, n in topics)
        counts = sorted({n for _, n in topics})
        hint = (
            f"set STREAMPROC_PARTITIONS={counts[0]} to match them"
            if len(counts) == 1
            else "give every input topic the same partition count"
        )
        return (
            f"topics disagree with STREAMPROC_PARTITIONS={setting}: {detail}; {hint}"
            " (`streamproc topics describe` shows them all)"
        )
    detail = ", ".join(f"{s.name} has {n}" for s, n in wrong)
    return (
        f"the tables' changelogs are not co-partitioned with the input topics"
        f" ({setting} partitions): {detail}. A table row would live in another partition than"
        " its company's records. If the input topics were grown by hand, the table state no"
        " longer matches them: deploy under a new STREAMPROC_APP_ID (fresh changelogs, made by"
        " `streamproc topics create`) and re-publish the integration configs; or, if the"
        f" changelogs are right, go back to {wrong[0][1]} partitions for the input topics"
    )
