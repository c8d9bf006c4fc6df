"""Issue 17: `streamproc topics check | create | describe` and the worker's partition check."""

from __future__ import annotations

import asyncio

from aiokafka.admin import NewTopic
from click.testing import CliRunner

from streamproc.cli import main
from streamproc.kafka.connection import connection_env
from streamproc.kafka.topics import admin_client, read_topics


def _cli(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["topics", *args], env=env, catch_exceptions=False)


def test_topics_check_create_describe(kafka_bootstrap, unique_id, monkeypatch) -> None:
    for name in ("STREAMPROC_ADMIN_TOKEN", "STREAMPROC_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)  # managing topics needs neither
    env = {
        **connection_env(kafka_bootstrap),
        "STREAMPROC_TOPIC_PREFIX": f"{unique_id}.",
        "STREAMPROC_PARTITIONS": "3",
        "STREAMPROC_MIN_INSYNC_REPLICAS": "1",
        "STREAMPROC_COMPACTED_TOPICS": "halopsa.integration-config,halopsa.instance-replies",
    }
    before = _cli(env, "check")
    assert before.exit_code == 1
    assert f"{unique_id}.watchman.alerts: missing" in before.output
    assert f"{unique_id}.streamproc-alert-state-changelog: missing" in before.output

    created = _cli(env, "create")
    assert created.exit_code == 0, created.output
    assert "16 created, 0 already there" in created.output

    async def states():
        async with admin_client(kafka_bootstrap) as admin:
            return await read_topics(
                admin, [f"{unique_id}.{t}" for t in ("halopsa.instance-replies", "watchman.alerts")]
            )

    got = asyncio.run(states())
    replies, alerts = (
        got[f"{unique_id}.halopsa.instance-replies"],
        got[f"{unique_id}.watchman.alerts"],
    )
    assert (replies.partitions, replies.compacted, replies.min_insync) == (3, True, 1)
    assert (alerts.partitions, alerts.compacted) == (3, False)

    after = _cli(env, "check")
    assert (after.exit_code, after.output.strip()) == (0, "all 16 topics as configured")
    described = _cli(env, "describe").output
    assert f"{unique_id}.halopsa.instance-replies" in described
    assert described.count(" ok\n") == 16, described

    # a setting that no longer matches the cluster: check names the topic and the difference
    wrong = _cli({**env, "STREAMPROC_PARTITIONS": "5"}, "check")
    assert wrong.exit_code == 1
    assert f"{unique_id}.watchman.alerts: 3 partitions (want 5)" in wrong.output


def test_worker_refuses_changelogs_not_co_partitioned_with_inputs(
    make_worker, kafka_bootstrap, unique_id
) -> None:
    changelog = f"{unique_id}-alert-state-changelog"

    async def precreate() -> None:
        async with admin_client(kafka_bootstrap) as admin:
            await admin.create_topics(
                [NewTopic(changelog, 2, 1, topic_configs={"cleanup.policy": "compact"})]
            )

    asyncio.run(precreate())
    worker = make_worker("w1")  # 4 partitions
    worker.start(wait=False)
    code = worker.proc.wait(timeout=30)  # type: ignore[union-attr]
    log = worker.log_path.read_text(errors="replace")
    assert code != 0, log
    assert "not co-partitioned with the input topics (4 partitions)" in log, log
    assert f"{changelog} has 2" in log
    assert "STREAMPROC_APP_ID" in log  # what to do
    assert "Traceback" not in log, log
