"""Consumer lag of one worker's input partitions, and when it makes the worker degraded.

Pure: the shell (``web/lag.py``) reads log-end and committed offsets from faust's consumer and
the oldest in-flight record from the lanes, and hands them here as plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionLag:
    """How far behind one input partition is."""

    topic: str
    partition: int
    records: int  # records between the handled position and the end of the log
    oldest_age: float  # seconds since the oldest unhandled record was written (0: none)


def partition_lag(
    topic: str,
    partition: int,
    *,
    log_end: int | None,
    handled: int | None,
    oldest_pending: float | None,
    now: float,
) -> PartitionLag:
    """``handled``: the next offset not yet handled (committed offset); None: nothing yet."""
    records = max(0, (log_end or 0) - (handled or 0))
    age = max(0.0, now - oldest_pending) if oldest_pending and records else 0.0
    return PartitionLag(topic, partition, records, age)


def degraded_reasons(lags: list[PartitionLag], *, max_records: int, max_age: float) -> list[str]:
    """Why the worker is behind (empty: it keeps up). One reason per partition over a limit."""
    reasons = []
    for lag in lags:
        where = f"{lag.topic}:{lag.partition}"
        if lag.oldest_age > max_age:
            age = f"{lag.oldest_age:.0f}s old (limit {max_age:g}s)"
            reasons.append(f"{where}: oldest unhandled record is {age}")
        elif lag.records > max_records:
            reasons.append(f"{where}: {lag.records} records behind (limit {max_records})")
    return reasons
