"""Issue "Reliability": the Halo client secret and the admin token never leak.

A worker runs with a distinctive admin token and a company whose Halo client secret is a
distinctive string. We create tickets, provoke a wrong-secret failure (sandbox 401) and a 5xx, call
the worker's HTTP endpoints with good and bad tokens, then scan the worker log, every record of
every topic of the app (outputs and ``<app_id>-*-changelog``) and every HTTP body for either
string. The encrypted secret in the config changelog is fine; the clear one must never appear.
"""

from __future__ import annotations

import base64
import urllib.parse

from tests.chaos.kafka_util import list_topics, read_topics
from tests.e2e.api_client import api, body, call
from tests.support.scenario import Stack, alert_event, warning_event

CLIENT_ID = "leakcheck-client"
OTHER_CLIENT_ID = "leakcheck-client-2"
SECRET = "S3cr3t-Zebra-7f41c9e2-DoNotLeak"
WRONG_SECRET = "Wr0ng-Okapi-0d9a55b1-DoNotLeak"
TOKEN = "Adm1n-Token-Quokka-5c2e8b70"
ALERTS = "watchman.alerts"


def _forms(value: str) -> list[bytes]:
    """The clear value as it could appear: raw, URL-encoded, base64 (of the value alone)."""
    return [
        value.encode(),
        urllib.parse.quote(value).encode(),
        base64.b64encode(value.encode()),
    ]


def test_client_secret_and_admin_token_appear_nowhere(
    make_worker, kafka_bootstrap, halo_url
) -> None:
    worker = make_worker(
        "w1",
        extra_env={
            "STREAMPROC_ADMIN_TOKEN": TOKEN,
            "STREAMPROC_SWEEP_INTERVAL": "2",
            "STREAMPROC_HALO_RETRY_MAX_DELAY": "1",
        },
    ).start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.admin(
        "records/apps",
        [
            {"client_id": CLIENT_ID, "client_secret": SECRET},
            {"client_id": OTHER_CLIENT_ID, "client_secret": SECRET[::-1]},
        ],
    )
    bodies: list[str] = []

    def http(method: str, url: str, payload=None, token=TOKEN):
        reply = call(method, url, payload, token=token)
        bodies.append(reply.text)
        bodies.extend(f"{k}: {v}" for k, v in reply.headers.items())
        return reply

    # Save configs through the API (the secret travels in the request, must not come back).
    good = http(
        "PUT", api(worker, "acme"), body(halo_url, client_id=CLIENT_ID, client_secret=SECRET)
    )
    assert good.status == 200, good.text
    rejected = http(
        "PUT", api(worker, "wrong"), body(halo_url, client_id=CLIENT_ID, client_secret=WRONG_SECRET)
    )
    assert rejected.status == 422, rejected.text
    # A company whose stored secret is wrong (saved before Halo changed it): publish directly.
    from cryptography.fernet import Fernet

    from tests.e2e.conftest import halo_config, publish_config
    from tests.support.worker import SECRET_KEY

    encrypted = Fernet(SECRET_KEY).encrypt(WRONG_SECRET.encode()).decode()
    publish_config(
        kafka_bootstrap,
        worker.topic_prefix,
        halo_config(
            "stale", halo_url, client_id=OTHER_CLIENT_ID, client_secret_encrypted=encrypted
        ),
    )

    raised, cleared = alert_event("acme", "s-1"), alert_event("acme", "s-1", "cleared", minute=5)
    stack.send(ALERTS, raised)
    assert stack.result_for(raised)["outcome"] == "created"
    stack.send(ALERTS, cleared)
    assert stack.result_for(cleared)["outcome"] == "closed"
    warning = warning_event("acme", "s-w1")
    stack.send("watchman.manual-warnings", warning)
    assert stack.result_for(warning)["outcome"] == "created"

    denied = alert_event("stale", "s-2")
    stack.send(ALERTS, denied)
    failed = stack.result_for(denied)
    assert (failed["outcome"], failed["reason"]) == ("failed", "credentials_rejected"), failed

    stack.admin("faults", {"client_id": CLIENT_ID, "kind": "error5xx", "status": 500, "count": 20})
    down = alert_event("acme", "s-3")
    stack.send(ALERTS, down)
    # the lane retries the outage (with short pauses here) and creates the ticket afterwards
    result = stack.result_for(down, timeout=60)
    assert result["outcome"] == "created", result
    call("DELETE", f"{halo_url}/_sandbox/faults", token=None)

    for company in ("acme", "wrong", "stale", "x"):
        http("GET", f"{worker.url}/api/v1/companies/{company}/stats")
        http("GET", f"{worker.url}/api/v1/companies/{company}/stats", token="not-the-token")
        http("GET", f"{worker.url}/api/v1/companies/{company}/stats", token=None)
        http("GET", api(worker, company))
        http("GET", f"{worker.url}/api/v1/companies/{company}/activity")
    http(
        "POST",
        api(worker, "acme", "/test"),
        body(halo_url, client_id=CLIENT_ID, client_secret=SECRET),
    )
    http(
        "POST",
        api(worker, "acme", "/test"),
        body(halo_url, client_id=CLIENT_ID, client_secret=WRONG_SECRET),
    )
    http("GET", f"{worker.url}/api/v1/companies/acme/stats", token=TOKEN + "x")
    http("GET", f"{worker.url}/health", token=None)
    metrics = http("GET", f"{worker.url}/metrics", token=None)
    assert metrics.status in {200, 404}
    bad = http("GET", f"{worker.url}/api/v1/companies/acme/stats", token="wrong")
    assert bad.status in {401, 403}, bad.text

    # Everything the app wrote to Kafka: outputs (by prefix) and table changelogs (by app id).
    topics = [
        t
        for t in list_topics(kafka_bootstrap)
        if t.startswith(worker.topic_prefix) or t.startswith(f"{worker.app_id}-")
    ]
    assert any(t.endswith("-changelog") for t in topics), topics
    assert any(t.endswith("streamproc.dead-letter") or "ticket-results" in t for t in topics)
    records = read_topics(kafka_bootstrap, topics, idle=1.0)
    assert records
    worker.stop()
    log = worker.log_path.read_bytes()

    hits = []
    for name, value in (("secret", SECRET), ("wrong secret", WRONG_SECRET), ("token", TOKEN)):
        for form in _forms(value):
            if form in log:
                line = next(ln for ln in log.splitlines() if form in ln)
                hits.append(f"{name} in worker log: {line[:300]!r}")
            for rec in records:
                if form in (rec.value or b"") or form in (rec.key or b""):
                    hits.append(f"{name} in {rec.topic}[{rec.partition}]@{rec.offset}")
            for text in bodies:
                if form.decode() in text:
                    hits.append(f"{name} in an HTTP reply: {text[:300]!r}")
    assert not hits, "\n".join(hits[:30])
    # The encrypted secret is on the config topic and changelog (that is fine and expected).
    assert any(b"client_secret_encrypted" in (r.value or b"") for r in records)


def test_wrong_secret_is_not_masked_by_another_companys_cached_token(
    make_worker, kafka_bootstrap, halo_url
) -> None:
    """Two companies, same Halo instance and client id; only one has the right secret."""
    from cryptography.fernet import Fernet

    from tests.e2e.conftest import halo_config, publish_config
    from tests.support.worker import SECRET_KEY

    worker = make_worker("w1").start()
    stack = Stack(kafka_bootstrap, worker.topic_prefix, halo_url)
    stack.admin("records/apps", {"client_id": CLIENT_ID, "client_secret": SECRET})
    for company, secret in (("right", SECRET), ("wrong", WRONG_SECRET)):
        encrypted = Fernet(SECRET_KEY).encrypt(secret.encode()).decode()
        config = halo_config(
            company, halo_url, client_id=CLIENT_ID, client_secret_encrypted=encrypted
        )
        publish_config(kafka_bootstrap, worker.topic_prefix, config)
    first = alert_event("right", "iso-1")
    stack.send(ALERTS, first)
    assert stack.result_for(first)["outcome"] == "created"
    second = alert_event("wrong", "iso-2")
    stack.send(ALERTS, second)
    result = stack.result_for(second)
    assert (result["outcome"], result["reason"]) == ("failed", "credentials_rejected"), result
