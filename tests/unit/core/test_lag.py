"""Consumer lag: records behind the log end, the oldest unhandled record's age, degraded reasons."""

from __future__ import annotations

from streamproc.core.lag import degraded_reasons, partition_lag


def test_lag_is_records_behind_the_log_end_and_the_age_of_the_oldest_unhandled() -> None:
    lag = partition_lag("alerts", 2, log_end=120, handled=100, oldest_pending=1000.0, now=1042.5)
    assert (lag.records, lag.oldest_age) == (20, 42.5)


def test_a_caught_up_partition_has_no_lag_and_no_age() -> None:
    # handled everything; a stale in-flight stamp (revoked meanwhile) must not show as age
    lag = partition_lag("alerts", 0, log_end=50, handled=50, oldest_pending=10.0, now=500.0)
    assert (lag.records, lag.oldest_age) == (0, 0.0)
    fresh = partition_lag("alerts", 1, log_end=None, handled=None, oldest_pending=None, now=1.0)
    assert (fresh.records, fresh.oldest_age) == (0, 0.0)


def test_behind_is_degraded_by_age_or_by_records_with_the_partition_named() -> None:
    lags = [
        partition_lag("alerts", 0, log_end=10, handled=10, oldest_pending=None, now=0),
        partition_lag("alerts", 1, log_end=30, handled=10, oldest_pending=100.0, now=500.0),
        partition_lag("alerts", 2, log_end=99_999, handled=0, oldest_pending=499.0, now=500.0),
    ]
    reasons = degraded_reasons(lags, max_records=10_000, max_age=300)
    assert reasons == [
        "alerts:1: oldest unhandled record is 400s old (limit 300s)",
        "alerts:2: 99999 records behind (limit 10000)",
    ]
    assert degraded_reasons(lags[:1], max_records=10_000, max_age=300) == []
