"""Every Kafka topic and table of the worker, declared in one place with explicit partition counts.

All input topics are keyed by company id and share one partition count, so a company's alerts, its
integration config and the tables built from them live in the same partition number: one worker
owns a company at a time, and table changelogs are co-partitioned with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from streamproc.settings import Settings

# Logical SPEC §3 topic names (the Kafka name adds the configured prefix).
ALERTS = "watchman.alerts"
MANUAL_WARNINGS = "watchman.manual-warnings"
INTEGRATION_CONFIG = "halopsa.integration-config"
TICKET_RESULTS = "halopsa.ticket-results"
ALERT_COMMANDS = "watchman.alert-commands"
ACTIVITY_FEED = "watchman.activity-feed"
DEAD_LETTER = "streamproc.dead-letter"

COMPACTED = frozenset({INTEGRATION_CONFIG})
ALL_TOPICS = (
    ALERTS,
    MANUAL_WARNINGS,
    INTEGRATION_CONFIG,
    TICKET_RESULTS,
    ALERT_COMMANDS,
    ACTIVITY_FEED,
    DEAD_LETTER,
)


@dataclass(frozen=True)
class TopicSpec:
    """What the worker needs to create a topic if it is missing."""

    name: str
    partitions: int
    compacted: bool


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The SPEC §3 topics with their Kafka names and partition counts."""
    return [
        TopicSpec(settings.topic(name), settings.partitions, name in COMPACTED)
        for name in ALL_TOPICS
    ]


@dataclass(frozen=True)
class Topology:
    """The faust channels and tables of one app instance."""

    topics: dict[str, faust.TopicT]
    company_status: faust.Table


def build_topology(app: faust.App, settings: Settings) -> Topology:
    """Declare topics (raw bytes: decoding and validation happen in our guard) and tables."""
    topics = {
        name: app.topic(
            settings.topic(name),
            partitions=settings.partitions,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            internal=True,  # faust creates it with these partitions when missing
            compacting=name in COMPACTED or None,
        )
        for name in ALL_TOPICS
    }
    company_status = app.Table(
        "company-status",
        partitions=settings.partitions,
        key_type=bytes,  # faust picks the "raw" key codec only for bytes; see app.py
        default=None,
    )
    return Topology(topics=topics, company_status=company_status)
