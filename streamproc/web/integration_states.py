"""Count the integrations of the companies this worker owns by state (for /metrics)."""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamproc.runtime import Runtime

STATES = ("active", "error", "disabled")


def count_integration_states(runtime: Runtime) -> dict[str, int]:
    """States from the company-status table (its active partitions on this worker)."""
    counts: Counter[str] = Counter({state: 0 for state in STATES})
    with contextlib.suppress(Exception):  # a partition being revoked while we read
        for _, status in runtime.topology.company_status.items():
            if isinstance(status, dict) and status.get("state") in STATES:
                counts[status["state"]] += 1
    for state in STATES:
        runtime.metrics.integrations.labels(state).set(counts[state])
    return dict(counts)
