"""Two deployments on one cluster (staging and production) share no group, topic or table record.

Each sets only ``STREAMPROC_TOPIC_PREFIX``; the app id (consumer group, changelogs, faust's own
topics) defaults from it. Both configure the same company id against a Halo instance of their
own; each worker must see, store and act on its own deployment's records only.
"""

from __future__ import annotations

import asyncio
import json

from aiokafka.admin import AIOKafkaAdminClient

from streamproc.kafka.connection import client_kwargs
from tests.chaos.kafka_util import list_topics, read_topics
from tests.e2e.conftest import halo_config, publish_config
from tests.support.scenario import Stack, alert_event
from tests.support.worker import ADMIN_TOKEN, WorkerProcess, http_get, wait_configured


async def _groups(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(**client_kwargs(bootstrap))
    await admin.start()
    try:
        return {group[0] for group in await admin.list_consumer_groups()}
    finally:
        await admin.close()


def test_two_prefixes_on_one_cluster_share_nothing(
    kafka_bootstrap, sandbox_url, tmp_path, unique_id
) -> None:
    stacks: dict[str, Stack] = {}
    workers: dict[str, WorkerProcess] = {}
    for name in ("staging", "prod"):
        prefix = f"{unique_id}-{name}."
        workers[name] = WorkerProcess(
            bootstrap=kafka_bootstrap,
            app_id="",  # the default: derived from the prefix
            topic_prefix=prefix,
            data_dir=tmp_path / name / "data",
            log_path=tmp_path / f"{name}.log",
        )
        stacks[name] = Stack(kafka_bootstrap, prefix, f"{sandbox_url}/t/{unique_id[-8:]}-{name}")
    try:
        for w in workers.values():
            w.start(wait=False)
        for w in workers.values():
            w.wait_ready()
        for name, stack in stacks.items():
            publish_config(kafka_bootstrap, stack.prefix, halo_config("acme", stack.halo_url))
            wait_configured(workers[name], "acme")
        raised = {name: alert_event("acme", f"disk-{name}") for name in stacks}
        for name, stack in stacks.items():
            stack.send("watchman.alerts", raised[name])
        for name, stack in stacks.items():
            assert stack.result_for(raised[name])["outcome"] == "created"

        for name, stack in stacks.items():
            other = next(s for n, s in stacks.items() if n != name)
            # The API shows each deployment its own config (its own Halo instance).
            url = f"{workers[name].url}/api/v1/companies/acme/integrations/halopsa"
            status, body = http_get(url, ADMIN_TOKEN)
            assert status == 200
            assert body["config"]["base_url"] == stack.halo_url
            # Results and tickets: only this deployment's alert.
            assert [r["alert_id"] for r in stack.results()] == [f"disk-{name}"]
            assert len(stack.tickets()) == 1
            assert other.prefix not in json.dumps(stack.tickets())

        topics = [t for t in list_topics(kafka_bootstrap) if unique_id in t]
        for stack in stacks.values():
            ours = [t for t in topics if t.startswith(stack.prefix)]
            assert any(t.endswith("-changelog") for t in ours), ours  # changelogs are prefixed
            assert any("__assignor-__leader" in t for t in ours), ours
        assert all(any(t.startswith(s.prefix) for s in stacks.values()) for t in topics), topics

        groups = {g for g in asyncio.run(_groups(kafka_bootstrap)) if unique_id in g}
        assert groups == {f"{s.prefix}streamproc" for s in stacks.values()}

        for name, stack in stacks.items():  # table records: each changelog holds its own only
            other = next(s for n, s in stacks.items() if n != name)
            changelogs = [t for t in topics if t.startswith(stack.prefix) and "changelog" in t]
            records = read_topics(kafka_bootstrap, changelogs, idle=0.5)
            text = b" ".join(r.value or b"" for r in records)
            assert stack.halo_url.encode() in text
            assert other.halo_url.encode() not in text
            assert f"disk-{name}".encode() in text
            assert f"disk-{other.prefix.rstrip('.').rsplit('-', 1)[-1]}".encode() not in text
    finally:
        for w in workers.values():
            w.stop()
