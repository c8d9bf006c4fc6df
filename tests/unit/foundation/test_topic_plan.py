"""Topics as configured vs the cluster's: differences, and the partition check of a worker."""

from __future__ import annotations

import pytest

from streamproc.kafka.topic_plan import (
    TopicState,
    differences,
    new_topic_configs,
    partition_problem,
)
from streamproc.settings import Settings, SettingsError
from streamproc.topology import TopicSpec, topic_specs


def spec(name: str, **kw) -> TopicSpec:
    fields = {"partitions": 8, "compacted": False, "replication": 3, "min_insync": 2} | kw
    return TopicSpec(name, **fields)


def test_specs_cover_topics_and_changelogs_with_the_settings() -> None:
    settings = Settings(
        dev_mode=True,
        topic_prefix="prod.",
        partitions=12,
        replication_factor=3,
        min_insync_replicas=2,
        compacted_topics="halopsa.integration-config",
    )
    specs = {s.name: s for s in topic_specs(settings)}
    assert specs["prod.halopsa.integration-config"].compacted
    assert not specs["prod.watchman.alerts"].compacted
    changelog = specs["prod.streamproc-alert-state-changelog"]
    assert (changelog.compacted, changelog.changelog, changelog.partitions) == (True, True, 12)
    assert {(s.replication, s.min_insync) for s in specs.values()} == {(3, 2)}
    assert new_topic_configs(changelog) == {
        "cleanup.policy": "compact",
        "min.insync.replicas": "2",
    }


def test_bad_topic_settings_are_refused() -> None:
    with pytest.raises(SettingsError, match="STREAMPROC_COMPACTED_TOPICS names unknown"):
        topic_specs(Settings(dev_mode=True, compacted_topics="watchman.alert"))
    with pytest.raises(ValueError, match="no write could succeed"):
        Settings(dev_mode=True, replication_factor=1, min_insync_replicas=2)


def test_differences_name_what_to_change() -> None:
    want = spec("alerts")
    assert differences(want, None) == ["missing"]
    assert differences(want, TopicState("alerts", 8, 3, {"min.insync.replicas": "2"})) == []
    state = TopicState("alerts", 6, 1, {"cleanup.policy": "compact", "min.insync.replicas": "1"})
    assert differences(want, state) == [
        "6 partitions (want 8)",
        "replication factor 1 (want 3)",
        "min.insync.replicas 1 (want 2)",
        "compacted (want cleanup.policy=delete: events would be lost)",
    ]
    assert differences(spec("cfg", compacted=True), TopicState("cfg", 8, 3, {})) == [
        "min.insync.replicas None (want 2)",
        "not compacted (want cleanup.policy=compact)",
    ]


def test_input_topics_with_another_count_name_the_setting() -> None:
    specs = [spec("alerts"), spec("configs")]
    states = {"alerts": TopicState("alerts", 4, 3), "configs": TopicState("configs", 4, 3)}
    problem = partition_problem(specs, states, 8)
    assert problem is not None
    assert "set STREAMPROC_PARTITIONS=4" in problem


def test_changelogs_not_co_partitioned_say_what_to_do() -> None:
    specs = [spec("alerts"), spec("app-alert-state-changelog", changelog=True, compacted=True)]
    states = {
        "alerts": TopicState("alerts", 8, 3),
        "app-alert-state-changelog": TopicState("app-alert-state-changelog", 4, 3),
    }
    problem = partition_problem(specs, states, 8)
    assert problem is not None
    assert "not co-partitioned" in problem
    assert "app-alert-state-changelog has 4" in problem
    assert "STREAMPROC_APP_ID" in problem
    assert partition_problem(specs, {"alerts": TopicState("alerts", 8, 3)}, 8) is None
