"""The worker creates every topic faust will use, changelogs included, before faust starts."""

from __future__ import annotations

import faust

from streamproc.settings import Settings
from streamproc.topology import build_topology, topic_specs


def test_every_table_changelog_is_among_the_topics_created_at_start(tmp_path) -> None:
    settings = Settings(dev_mode=True, topic_prefix="staging-", data_dir=tmp_path)
    app = faust.App(settings.group_id, store="memory://", autodiscover=False)
    topology = build_topology(app, settings)

    declared = {table.changelog_topic.get_topic_name() for table in topology.tables}
    specs = {spec.name: spec for spec in topic_specs(settings)}

    assert declared <= set(specs), declared - set(specs)
    assert all(specs[name].compacted for name in declared)
    assert all(specs[name].partitions == settings.partitions for name in declared)
    assert {name for name in specs if name.endswith("-changelog")} == declared
