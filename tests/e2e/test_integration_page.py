"""The integration page for people, rendered by headless Chromium from a worker subprocess."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.api_client import call
from tests.e2e.conftest import halo_config, publish_config
from tests.support.browser import HEADLESS
from tests.support.kafka_io import consume_all, produce
from tests.support.scenario import alert_event
from tests.support.worker import ADMIN_TOKEN, WorkerProcess, wait_for


def browse(chromium: Path, url: str, profile: Path, screenshot: Path | None = None) -> str:
    """The rendered DOM of ``url`` (and a screenshot when asked)."""
    base = [str(chromium), *HEADLESS, f"--user-data-dir={profile}"]
    if screenshot is not None:
        subprocess.run(
            [*base, f"--screenshot={screenshot}", url], capture_output=True, timeout=90, check=True
        )
    done = subprocess.run([*base, "--dump-dom", url], capture_output=True, timeout=90, check=True)
    return done.stdout.decode(errors="replace")


def api(worker: WorkerProcess, company: str) -> str:
    return f"{worker.url}/api/v1/companies/{company}/integrations/halopsa"


def put(worker: WorkerProcess, company: str, halo_url: str, **overrides: object) -> dict:
    body = {
        "enabled": True,
        "base_url": halo_url,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "default_tickettype_id": 1,
        "default_priority_id": 3,
        "default_client_id": 13,
        "default_site_id": 24,
        **overrides,
    }
    reply = call("PUT", api(worker, company), body)
    assert reply.status == 200, reply.text
    return reply.body


def configured(worker: WorkerProcess, company: str) -> dict:
    def probe():
        reply = call("GET", api(worker, company))
        return reply.body if reply.status == 200 else None

    return wait_for(probe, 60, f"{company} configured", worker)


def result_for(bootstrap: str, worker: WorkerProcess, event: dict) -> dict:
    topic = f"{worker.topic_prefix}halopsa.ticket-results"

    def probe():
        found = [v for _, v in consume_all(bootstrap, topic) if v["event_id"] == event["event_id"]]
        return found[0] if found else None

    return wait_for(probe, 60, f"result of {event['event_id']}", worker)


def test_integration_page_shows_state_error_fix_and_activity(
    chromium, make_worker, halo_url, kafka_bootstrap, artifacts_dir, tmp_path
):
    worker = make_worker("w1").start()
    alerts = f"{worker.topic_prefix}watchman.alerts"

    # green: a working integration that made a ticket (the alert name tries to inject HTML)
    put(worker, "acme", halo_url)
    page_url = configured(worker, "acme")["page_url"]
    ok = alert_event("acme", "<b id='injected'>a-1</b>")  # activity quotes the alert id
    produce(kafka_bootstrap, alerts, [("acme", ok)])
    assert result_for(kafka_bootstrap, worker, ok)["outcome"] == "created"

    # red: credentials revoked after saving -> the next alert fails
    publish_config(
        kafka_bootstrap, worker.topic_prefix, halo_config("broken", halo_url, client_id="gone")
    )
    broken_url = wait_for(
        lambda: call("GET", api(worker, "broken")).body.get("page_url"), 60, "broken", worker
    )
    bad = alert_event("broken", "a-2")
    produce(kafka_bootstrap, alerts, [("broken", bad)])
    assert result_for(kafka_bootstrap, worker, bad)["reason"] == "credentials_rejected"

    # grey: switched off
    put(worker, "paused", halo_url, enabled=False)
    paused_url = configured(worker, "paused")["page_url"]

    dom = browse(
        chromium,
        worker.url + page_url,
        tmp_path / "p1",
        artifacts_dir / "integration-page-active.png",
    )
    assert 'data-state="active"' in dom
    assert "Ticket" in dom
    assert 'id="injected"' not in dom
    assert "<b id" not in dom
    assert "&lt;b id=" in dom
    assert "demo-secret" not in dom
    assert ADMIN_TOKEN not in dom
    assert "********" in dom

    def error_page() -> str | None:
        html = browse(chromium, worker.url + broken_url, tmp_path / "p2")
        return html if 'data-state="error"' in html else None

    dom = wait_for(error_page, 30, "error state on the page", worker)
    browse(
        chromium, worker.url + broken_url, tmp_path / "p3", artifacts_dir / "integration-page.png"
    )
    assert 'id="last-error"' in dom
    assert "credentials_rejected" in dom
    assert "How to fix" in dom
    assert "re-enter both values" in dom
    entries = re.findall(r'<tr class="entry">', dom)
    assert entries

    dom = browse(chromium, worker.url + paused_url, tmp_path / "p4")
    assert 'data-state="disabled"' in dom

    # without the signature or with a wrong one: 401 page, nothing about the company
    denied = call("GET", worker.url + page_url.split("?")[0], token=None)
    assert denied.status == 401
    assert "demo-client" not in denied.text
    wrong = call("GET", worker.url + page_url[:-4] + "0000", token=None)
    assert wrong.status == 401
    assert call("GET", worker.url + page_url.split("?")[0]).status == 200  # bearer works too
    assert (artifacts_dir / "integration-page.png").stat().st_size > 10_000
