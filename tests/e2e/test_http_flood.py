"""Issue 18: nothing that reaches the HTTP port stalls the stream.

One worker, one company, hidden alerts at 20/s (skip results, no Halo writes), latency measured
end to end (produced → result record read back). First alone, then while, from a separate
process, 16 clients post webhook deliveries with a wrong Basic password as fast as the worker
answers, 10 MB bodies go to the admin API and the page (with and without a Content-Length), and
clients send bodies and headers a byte a second. Before the fix (scrypt on the event loop for
every delivery) the alert path's p99 went from about 100 ms to 7.6 s; it must stay under 500 ms,
and every hostile request must get its refusal.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.api_client import api, basic, body, call, wait_configured
from tests.support.latency import measure_blocking
from tests.support.scenario import alert_event
from tests.support.worker import ADMIN_TOKEN, WorkerProcess

RATE = 20  # alerts a second
READ_TIMEOUT = 3  # STREAMPROC_WEB_READ_TIMEOUT of the worker
FLOOD_SECONDS = 16
TEN_MB = 10 * 1024 * 1024
P99_LIMIT = 0.5


def metric_samples(worker: WorkerProcess) -> dict[tuple[str, tuple], float]:
    text = call("GET", f"{worker.url}/metrics", token=None).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def flood_plan(worker: WorkerProcess, company: str, edit_link: str) -> dict:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    api_path = f"/api/v1/companies/{company}/integrations/halopsa"
    return {
        "host": "127.0.0.1",
        "port": worker.web_port,
        "seconds": FLOOD_SECONDS,
        "company": company,
        "user": f"halo-{company}",
        "clients": 16,
        "oversized": [
            {"method": "PUT", "path": api_path, "headers": admin, "size": TEN_MB, "chunked": False},
            {"method": "PUT", "path": api_path, "headers": admin, "size": TEN_MB, "chunked": True},
            {
                "method": "POST",
                "path": edit_link,
                "headers": form,
                "size": TEN_MB,
                "chunked": False,
            },
        ],
        "slow_body": [
            {"method": "PUT", "path": api_path, "headers": admin},
            {"method": "POST", "path": edit_link, "headers": form},
        ],
        "slow_headers": [{"path": edit_link}],
    }


def test_hostile_http_clients_do_not_stall_the_alert_path(
    make_worker, kafka_bootstrap, halo_url, artifacts_dir
):
    worker = make_worker("w1", extra_env={"STREAMPROC_WEB_READ_TIMEOUT": str(READ_TIMEOUT)}).start()
    company = "flood-co"
    saved = call("PUT", api(worker, company), body(halo_url))
    assert saved.status == 200, saved.text
    wait_configured(worker, company)
    link = call("POST", api(worker, company, "/links"), {"scope": "edit"})
    assert link.status == 201, link.text
    alerts = f"{worker.topic_prefix}watchman.alerts"
    results = f"{worker.topic_prefix}halopsa.ticket-results"

    def hidden(n: int) -> dict:
        return alert_event(company, f"hidden-{n}", visible=False)

    measure_blocking(kafka_bootstrap, alerts, results, hidden, rate=RATE, seconds=2)  # warm-up
    baseline = measure_blocking(kafka_bootstrap, alerts, results, hidden, rate=RATE, seconds=8)
    assert baseline.missing == 0, baseline

    flood = subprocess.Popen(
        [sys.executable, "-m", "tests.support.http_flood"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert flood.stdin is not None
    flood.stdin.write(json.dumps(flood_plan(worker, company, link.body["url"])).encode())
    flood.stdin.close()
    time.sleep(1.5)  # the flood is under way (and the webhook budget of the address spent)
    during = measure_blocking(
        kafka_bootstrap, alerts, results, hidden, rate=RATE, seconds=12, drain=30
    )
    with flood.stdout:  # type: ignore[union-attr]
        report = json.loads(flood.stdout.read())  # type: ignore[union-attr]
    assert flood.wait(timeout=60) == 0
    samples = metric_samples(worker)

    webhook = report.pop("webhook")
    statuses = webhook["statuses"]
    summary = {
        "baseline": baseline.summary(),
        "during_flood": during.summary(),
        "webhook": statuses,
        "others": {
            kind: {
                "statuses": sorted({s for s, _ in outcomes}),
                "count": len(outcomes),
                "seconds": [
                    round(min(t for _, t in outcomes), 2),
                    round(max(t for _, t in outcomes), 2),
                ],
            }
            for kind, outcomes in report.items()
        },
    }
    (artifacts_dir / "http-flood.json").write_text(json.dumps(summary, indent=2))

    assert during.missing == 0, during
    p99 = during.quantile(0.99)
    assert p99 < P99_LIMIT, (
        f"alert path during the flood: {during.summary()} (baseline {baseline.summary()})"
    )
    # every wrong password got a 401 until the address's budget was spent, then a 429
    assert set(statuses) <= {"401", "429"}, statuses
    assert statuses.get("429", 0) > 0
    assert 0 < statuses.get("401", 0) <= 20 + FLOOD_SECONDS * 20 / 60 + 1
    assert webhook["retry_after_missing"] == 0
    failures = (
        "streamproc_auth_failures_total",
        (("realm", "webhook"), ("reason", "wrong_password")),
    )
    throttled = ("streamproc_auth_throttled_total", (("realm", "webhook"), ("scope", "address")))
    assert samples[failures] == statuses["401"]
    assert samples[throttled] >= statuses["429"]
    # 10 MB bodies: 413 while still sending; byte-a-second bodies: 408 after the read timeout
    for kind, outcomes in report.items():
        assert outcomes, kind
        if kind.startswith("oversized"):
            assert {s for s, _ in outcomes} == {"413"}, (kind, outcomes)
        elif kind.startswith("slow_body"):
            assert {s for s, _ in outcomes} == {"408"}, (kind, outcomes)
            assert all(READ_TIMEOUT - 0.5 < t < READ_TIMEOUT + 3 for _, t in outcomes), outcomes
        else:  # byte-a-second headers: no request ever arrives; the server hangs up, without
            # an answer. A byte the client sends as the server closes makes the kernel answer
            # with a reset instead of an end of stream (seen once in CI): the same hang-up.
            assert {s for s, _ in outcomes} <= {"closed", "reset"}, (kind, outcomes)
            assert "closed" in {s for s, _ in outcomes}, (kind, outcomes)
            assert all(READ_TIMEOUT - 0.5 < t < READ_TIMEOUT + 3 for _, t in outcomes), outcomes
    rejected = {
        status: samples.get(("streamproc_http_rejected_total", (("status", status),)), 0)
        for status in ("408", "413")
    }
    slow = sum(len(v) for k, v in report.items() if k.startswith("slow_body"))
    large = sum(len(v) for k, v in report.items() if k.startswith("oversized"))
    assert rejected == {"408": slow, "413": large}
    # the address's webhook budget is spent, yet the right password is never refused
    hook = saved.body["webhook"]
    delivery = call(
        "POST",
        worker.url + hook["url"],
        {"object_id": 5},
        token=None,
        headers=basic(hook["username"], hook["password"]),
    )
    assert delivery.status == 202, delivery.text
    wrong = call(
        "POST", worker.url + hook["url"], {}, token=None, headers=basic(hook["username"], "no")
    )
    assert wrong.status == 429
    assert int(wrong.headers["Retry-After"]) >= 1
    log = worker.log_path.read_text(errors="replace")
    assert "wrong-password-for-the-flood" not in log
    assert hook["password"] not in log
