"""Issue 14: a credential test (POST …/integrations/halopsa/test, PUT, the page's switch) is spent
in its Halo instance's budget by the instance's owner, never by the web view's worker.

Two workers; the sandbox instance allows 12 requests per 6 s, and both workers are told that
budget. Credentials are tested for six companies nobody configured, each answered by the worker
that does NOT own the instance (the company's partition is there): their requests must all come
from the owner (the view's worker sends none), queue in its budget (it waits for budget) and
draw no 429 from the instance, and every test still answers 200 with Halo's pick-lists.
"""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from aiokafka.partitioner import murmur2
from prometheus_client.parser import text_string_to_metric_families

from streamproc.topology import HALO_JOBS, HALO_REPLIES
from tests.e2e.api_client import api, body, call
from tests.e2e.conftest import halo_config
from tests.support.scenario import Stack
from tests.support.worker import WorkerProcess, wait_for

LIMIT, WINDOW = 12, 6


def _metric(worker: WorkerProcess, name: str) -> float:
    """The sum of a metric's samples (every label) on ``worker``."""
    with urllib.request.urlopen(f"{worker.url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    )


def _partition(key: str, partitions: int) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def test_credential_tests_are_spent_in_the_owners_budget(
    make_worker, kafka_bootstrap, halo_url
) -> None:
    env = {"STREAMPROC_HALO_RATE_LIMIT": str(LIMIT), "STREAMPROC_HALO_RATE_WINDOW": str(WINDOW)}
    w1 = make_worker("w1", extra_env=env).start()
    w2 = make_worker("w2", extra_env=env).start()
    jobs, replies = (f"{w1.topic_prefix}{t}" for t in (HALO_JOBS, HALO_REPLIES))

    def split() -> bool:
        a, b = w1.assigned(jobs), w2.assigned(jobs)
        return bool(a) and bool(b) and not (a & b) and a | b == set(range(w1.partitions))

    wait_for(split, 60, "both workers own a share of the partitions", w1, w2)
    w1.wait_ready()
    w2.wait_ready()
    stack = Stack(kafka_bootstrap, w1.topic_prefix, halo_url)
    stack.admin("config", {"rate_limit": LIMIT, "rate_window": WINDOW})

    instance = halo_config("any", halo_url).instance
    owner, other = (
        (w1, w2) if _partition(instance, w1.partitions) in w1.assigned(jobs) else (w2, w1)
    )
    theirs = other.assigned(replies)
    companies = [
        c for c in (f"cred-{n}" for n in range(200)) if _partition(c, other.partitions) in theirs
    ]
    companies = companies[:6]
    assert len(companies) == 6
    before = [_metric(w, "streamproc_halo_requests_total") for w in (owner, other)]

    began = time.monotonic()
    with ThreadPoolExecutor(len(companies)) as pool:
        answers = list(
            pool.map(lambda c: call("POST", api(other, c, "/test"), body(halo_url)), companies)
        )
    took = time.monotonic() - began

    for reply in answers:
        assert reply.status == 200, reply.text
        assert reply.body["ok"] is True
        assert {t["id"] for t in reply.body["options"]["ticket_types"]} >= {1}
    journal = stack.journal()
    assert [e for e in journal if e["status"] == 429] == [], "the instance's budget was overspent"
    assert len(journal) > LIMIT  # the tests needed more than one window's budget ...
    assert took >= WINDOW * 0.8  # ... so they queued in it instead of drawing 429s
    assert _metric(other, "streamproc_halo_requests_total") == before[1]  # the view's worker
    assert _metric(owner, "streamproc_halo_requests_total") - before[0] >= LIMIT
    assert _metric(owner, "streamproc_halo_rate_limit_wait_seconds_total") > 0
    # the owner's budget reports the instance (the budget it spent them in)
    wait_for(
        lambda: (
            _metric(owner, "streamproc_halo_budget_used") > 0
            or _metric(owner, "streamproc_halo_budget_remaining") > 0
        ),
        30,
        "the owner's budget gauges for the instance",
        owner,
    )
