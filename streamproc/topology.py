"""Every Kafka topic and table of the worker, declared in one place with explicit partition counts.

All input topics are keyed by company id and share one partition count, so a company's alerts, its
integration config, Halo observations and the tables built from them live in the same partition
number: one worker owns a company at a time, and table changelogs are co-partitioned with their
sources (faust writes a table change to the partition of the event being processed).
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from streamproc.settings import Settings, SettingsError

# Logical SPEC §3 topic names (the Kafka name adds the configured prefix).
ALERTS = "watchman.alerts"
MANUAL_WARNINGS = "watchman.manual-warnings"
INTEGRATION_CONFIG = "halopsa.integration-config"
TICKET_RESULTS = "halopsa.ticket-results"
ALERT_COMMANDS = "watchman.alert-commands"
ACTIVITY_FEED = "watchman.activity-feed"
DEAD_LETTER = "streamproc.dead-letter"
# Internal: what the Halo webhook said about tickets (keyed by company), applied by the agent so
# that table changes happen in the company's partition.
TICKET_OBSERVATIONS = "halopsa.ticket-observations"
# Internal: Halo work for the owner of a Halo instance (keyed by instance, core/jobs.py), and the
# owner's replies (keyed by company).
HALO_JOBS = "halopsa.instance-jobs"
HALO_REPLIES = "halopsa.instance-replies"

COMPACTED = frozenset({INTEGRATION_CONFIG})  # the default of STREAMPROC_COMPACTED_TOPICS
# What the worker's agent consumes, with the pipeline handler of each.
INPUT_TOPICS = {
    INTEGRATION_CONFIG: "on_config",
    HALO_REPLIES: "on_reply",
    TICKET_OBSERVATIONS: "on_observation",
    MANUAL_WARNINGS: "on_warning",
    ALERTS: "on_alert",
}
ALL_TOPICS = (
    ALERTS,
    MANUAL_WARNINGS,
    INTEGRATION_CONFIG,
    TICKET_RESULTS,
    ALERT_COMMANDS,
    ACTIVITY_FEED,
    DEAD_LETTER,
    TICKET_OBSERVATIONS,
    HALO_JOBS,
    HALO_REPLIES,
)


# The worker's tables; faust names each changelog "<app id>-<table>-changelog".
TABLES = (
    "alert-state",
    "integration-configs",
    "company-status",
    "company-activity",
    "instance-budget",
    "instance-job-marks",
)


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the deployment wants it (created so when missing, checked when present)."""

    name: str
    partitions: int
    compacted: bool
    replication: int = 1
    min_insync: int | None = None  # None: the broker's default
    changelog: bool = False  # a table's changelog (co-partitioned with the input topics)


def compacted_topics(settings: Settings) -> frozenset[str]:
    """Logical names of the topics kept compacted (``STREAMPROC_COMPACTED_TOPICS``)."""
    names = frozenset(n.strip() for n in settings.compacted_topics.split(",") if n.strip())
    unknown = sorted(names - set(ALL_TOPICS))
    if unknown:
        raise SettingsError(
            f"STREAMPROC_COMPACTED_TOPICS names unknown topics {', '.join(unknown)}"
            f" (known: {', '.join(ALL_TOPICS)})"
        )
    return names


def changelog_name(settings: Settings, table: str) -> str:
    return f"{settings.group_id}-{table}-changelog"


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic the deployment needs (its own and its tables' changelogs), as configured.

    Changelogs are created before faust starts: a changelog that faust creates itself after the
    consumer subscribed has 0 partitions in the group's metadata snapshot until the next
    metadata refresh (up to 5 minutes), and faust refuses every write to its table meanwhile
    (PartitionsMismatch: the instance owners' jobs stalled on a fresh cluster).
    """
    compacted = compacted_topics(settings)
    common = {
        "partitions": settings.partitions,
        "replication": settings.replication_factor,
        "min_insync": settings.min_insync_replicas,
    }
    topics = [
        TopicSpec(settings.topic(name), compacted=name in compacted, **common)
        for name in ALL_TOPICS
    ]
    changelogs = [
        TopicSpec(changelog_name(settings, t), compacted=True, changelog=True, **common)
        for t in TABLES
    ]
    return topics + changelogs


@dataclass(frozen=True)
class Topology:
    """The faust channels and tables of one app instance.

    Tables hold JSON values under raw UTF-8 keys:
    - ``alert_state``: ``core.state_key(company, alert)`` → ``AlertTicketState`` JSON;
    - ``configs``: company id → ``IntegrationConfig`` JSON (fed by ``halopsa.integration-config``);
    - ``company_status``: company id → status and counters (``core.status``);
    - ``activity``: company id → the most recent activity entries, oldest first;
    - ``instance_budget``: Halo instance → the times of its requests in the rolling window
      (``instances/budget.py``), in the instance's job partition;
    - ``job_marks``: job id → started, or done with its reply (``instances/owner.py``).
    """

    topics: dict[str, faust.TopicT]
    inputs: faust.TopicT  # the input topics as one channel, for the agent
    alert_state: faust.Table
    configs: faust.Table
    company_status: faust.Table
    activity: faust.Table
    instance_budget: faust.Table
    job_marks: faust.Table

    @property
    def tables(self) -> tuple[faust.Table, ...]:
        return (
            self.alert_state,
            self.configs,
            self.company_status,
            self.activity,
            self.instance_budget,
            self.job_marks,
        )


# RocksDB opens one database per table partition. faust's defaults (three 64 MiB write buffers,
# a 2 GiB block cache) suit one big table, not 4 tables times N partitions on a small worker.
ROCKSDB_OPTIONS = {
    "write_buffer_size": 2 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "target_file_size_base": 8 * 1024 * 1024,
    "block_cache_size": 8 * 1024 * 1024,
    "block_cache_compressed_size": 1024 * 1024,
    # faust's default of 3 bits per key lets a quarter of the lookups of a new alert (a miss)
    # read SST blocks; 10 bits: about 1 %.
    "bloom_filter_size": 10,
}


# The instance owners' tables are small (a budget per instance, short-lived job marks): with the
# options above, their 2 x N databases cost a worker 15-38 MiB of peak RSS (bench row 6).
SMALL_ROCKSDB_OPTIONS = {
    **ROCKSDB_OPTIONS,
    "write_buffer_size": 256 * 1024,
    "block_cache_size": 256 * 1024,
    "block_cache_compressed_size": 64 * 1024,
}
SMALL_TABLES = frozenset({"instance-budget", "instance-job-marks"})


def _table(app: faust.App, name: str, settings: Settings) -> faust.Table:
    return app.Table(
        name,
        partitions=settings.partitions,
        key_type=bytes,  # faust picks the "raw" key codec only for bytes: routing needs raw keys
        default=None,
        options=SMALL_ROCKSDB_OPTIONS if name in SMALL_TABLES else ROCKSDB_OPTIONS,
    )


def build_topology(app: faust.App, settings: Settings) -> Topology:
    """Declare topics (raw bytes: decoding and validation happen in our guard) and tables."""
    compacted = compacted_topics(settings)
    topics = {
        name: app.topic(
            settings.topic(name),
            partitions=settings.partitions,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            internal=True,  # faust creates it with these partitions when missing
            compacting=name in compacted or None,
        )
        for name in ALL_TOPICS
    }
    inputs = app.topic(
        *(settings.topic(name) for name in INPUT_TOPICS),
        partitions=settings.partitions,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )
    return Topology(
        topics=topics,
        inputs=inputs,
        **{
            field: _table(app, name, settings)
            for field, name in zip(
                (
                    "alert_state",
                    "configs",
                    "company_status",
                    "activity",
                    "instance_budget",
                    "job_marks",
                ),
                TABLES,
                strict=True,
            )
        },
    )
