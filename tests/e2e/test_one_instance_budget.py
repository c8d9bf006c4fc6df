"""One Halo instance, one budget: several companies, two workers, the budget enforced.

Eight companies share one sandbox instance that counts requests per instance (as Halo does),
allows 40 requests per 20 s and fails a create that overlaps another (Halo's ticket numbering).
Both workers are told that budget. A storm of 80 alerts over 40 computers must become 80
tickets with no 429 and no overlapping create: the instance's jobs all run on the worker that
owns its partition, whichever worker owns each company.
"""

from __future__ import annotations

import time

from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import wait_configured, wait_for

COMPANIES = [f"co{i}" for i in range(8)]
LIMIT, WINDOW = 40, 20


def test_companies_on_one_instance_share_its_budget_across_workers(
    make_worker, kafka_bootstrap, halo_url
) -> None:
    env = {
        "STREAMPROC_HALO_RATE_LIMIT": str(LIMIT),
        "STREAMPROC_HALO_RATE_WINDOW": str(WINDOW),
        "STREAMPROC_SWEEP_INTERVAL": "300",
    }
    w1 = make_worker("w1", extra_env=env).start()
    w2 = make_worker("w2", extra_env=env).start()
    stack = Stack(kafka_bootstrap, w1.topic_prefix, halo_url)
    stack.admin(
        "config",
        {"rate_limit": LIMIT, "rate_window": WINDOW, "create_seconds": 0.05, "retry_after": True},
    )
    for company in COMPANIES:
        publish_config(kafka_bootstrap, stack.prefix, halo_config(company, halo_url))
    wait_configured(w1, *COMPANIES)
    storm = [
        alert_event(
            COMPANIES[n % 8],
            f"storm-{n}",
            serial=f"SN-{n % 40:03d}",
            watchman_id=f"wm-{n % 40}",
            computer_name=f"Mac {n % 40}",
        )
        for n in range(80)
    ]
    began = time.monotonic()
    stack.send("watchman.alerts", *storm)
    wanted = {e["event_id"] for e in storm}

    def all_created() -> bool:
        done = {r["event_id"] for r in stack.results() if r["outcome"] == "created"}
        return wanted <= done

    wait_for(all_created, 180, "a ticket for every alert of the storm", w1, w2)
    drained = time.monotonic() - began
    journal = stack.journal()
    limited = [e for e in journal if e["status"] == 429]
    overlapped = [e for e in journal if "overlapping_create" in (e.get("faults") or [])]
    tickets = stack.tickets()
    refs = [t["supplier_reference"] for t in tickets]
    print(
        f"80 tickets in {drained:.0f} s, {len(journal)} Halo requests "
        f"({len(journal) / 80:.2f} per ticket), 429s {len(limited)}, overlaps {len(overlapped)}"
    )
    assert limited == [], "a worker drew a 429: the instance's budget was spent twice"
    assert overlapped == [], "two creates overlapped on one instance"
    assert len(tickets) == 80
    assert len(set(refs)) == 80  # one ticket per alert
    assert len(journal) / 80 <= 0.75  # creates share requests, lookups are shared per instance
    assert all(r["outcome"] != "failed" for r in stack.results())
