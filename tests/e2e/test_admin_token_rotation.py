"""Issue 18: the admin token is rotated without downtime (the previous one works until its end)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.e2e.api_client import api, body, call


def test_the_previous_admin_token_works_until_its_end(make_worker, halo_url):
    until = datetime.now(UTC) + timedelta(seconds=30)  # the worker is ready within it
    worker = make_worker(
        "w1",
        extra_env={
            "STREAMPROC_ADMIN_TOKEN": "new-admin-token-31c8",
            "STREAMPROC_ADMIN_TOKEN_PREVIOUS": "old-admin-token-77a0",
            "STREAMPROC_ADMIN_TOKEN_PREVIOUS_UNTIL": until.isoformat(),
        },
    ).start()
    url = api(worker, "acme")
    assert call("PUT", url, body(halo_url), token="old-admin-token-77a0").status == 200
    assert call("GET", url, token="new-admin-token-31c8").status in {200, 404}
    assert call("GET", url, token="neither-token").status == 401
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 0.5)
    assert call("GET", url, token="old-admin-token-77a0").status == 401
    assert call("GET", url, token="new-admin-token-31c8").status == 200
    log = worker.log_path.read_text(errors="replace")
    assert "previous admin token is accepted until" in log
    assert "old-admin-token-77a0" not in log
    assert "new-admin-token-31c8" not in log
