"""Failure budgets: a burst of ``limit``, then 429 with the wait until the next try; refill."""

from __future__ import annotations

from streamproc.web.ratelimit import FailureBudget, source_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_may_fail_limit_times_then_waits_for_a_refill():
    clock = Clock()
    budget = FailureBudget(3, 60, clock=clock)
    assert budget.retry_after("a") is None
    assert [budget.failed("a") for _ in range(3)] == [False, False, True]  # spent on the 3rd
    assert budget.retry_after("a") == 20  # one failure back every 60/3 s
    assert budget.retry_after("b") is None  # other keys are not affected
    clock.now += 19.5
    assert budget.retry_after("a") == 1
    clock.now += 0.5
    assert budget.retry_after("a") is None
    assert budget.failed("a")  # the one regained failure is spent again
    assert budget.retry_after("a") == 20


def test_an_idle_key_is_forgotten_full():
    clock = Clock()
    budget = FailureBudget(2, 10, clock=clock)
    budget.failed("a")
    budget.failed("a")
    assert budget.retry_after("a") == 5
    clock.now += 11
    assert budget.retry_after("a") is None
    assert not budget.failed("a")  # a full budget again: one failure leaves one


def test_memory_is_bounded():
    budget = FailureBudget(1, 60, max_keys=100)
    for n in range(1000):
        budget.failed(f"k{n}")
    assert len(budget._buckets) <= 100


def test_source_keys():
    assert source_key("203.0.113.7") == "203.0.113.7"
    assert source_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert source_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert source_key("2001:db8:1:2:bbbb::9") == source_key("2001:db8:1:2:aaaa::1")
    assert source_key(None) == "unknown"
    assert source_key("not an address") == "not an address"
