"""Read the consumer lag of this worker's input partitions (for /metrics and /health)."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from streamproc.core.lag import PartitionLag, partition_lag
from streamproc.topology import HALO_JOBS, INPUT_TOPICS

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def input_lag(app: faust.App, runtime: Runtime) -> list[PartitionLag]:
    """Lag of every input partition assigned to this worker; updates the Prometheus gauges.

    Records behind = log end (faust's highwater) minus committed offset, so a partition whose
    records were handled reads 0 once faust commits (every few seconds).
    """
    settings = runtime.settings
    inputs = {settings.topic(name) for name in (*INPUT_TOPICS, HALO_JOBS)}
    consumer = app.consumer
    committed = getattr(consumer, "_committed_offset", {}) or {}
    now = time.time()
    lags = []
    for tp in sorted(app.assignor.assigned_actives()):
        if tp.topic not in inputs:
            continue
        with contextlib.suppress(Exception):  # a partition being revoked meanwhile
            lags.append(
                partition_lag(
                    tp.topic,
                    tp.partition,
                    log_end=consumer.highwater(tp),
                    handled=committed.get(tp),
                    oldest_pending=runtime.pending_since(tp),
                    now=now,
                )
            )
    m = runtime.metrics
    m.consumer_lag.clear()  # revoked partitions must not keep their last value
    m.consumer_lag_age.clear()
    for lag in lags:
        m.consumer_lag.labels(lag.topic, str(lag.partition)).set(lag.records)
        m.consumer_lag_age.labels(lag.topic, str(lag.partition)).set(lag.oldest_age)
    return lags
