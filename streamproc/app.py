"""The composition root: build the faust App and its shared runtime from one Settings object."""

from __future__ import annotations

import socket

import faust

from streamproc.agents import register_agents
from streamproc.agents.batch import LaneStores
from streamproc.engine.outbox import Outbox
from streamproc.engine.tables import ChangelogTable, TableStore
from streamproc.instances import register_owner
from streamproc.kafka.connection import faust_options
from streamproc.runtime import Runtime
from streamproc.secretbox import SecretBox
from streamproc.settings import Settings
from streamproc.topology import build_topology
from streamproc.web import register_views
from streamproc.web.server import server_options

OUTBOX_BATCH_BYTES = 512 * 1024


def create_app(settings: Settings) -> tuple[faust.App, Runtime]:
    """A configured faust App with every topic, table, agent, timer and view registered."""
    app = faust.App(
        settings.group_id,
        **faust_options(settings),  # bootstrap servers, TLS and SASL
        store="rocksdb://",
        datadir=str(settings.data_dir),
        processing_guarantee="at_least_once",
        Table=ChangelogTable,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        table_standby_replicas=settings.standby_replicas,
        # Static membership: a worker restarted within the session timeout (a crash loop, a
        # rolling deploy) gets its partitions back without a rebalance of the whole group, and
        # a dead worker's partitions move after the (short) session timeout.
        consumer_group_instance_id=f"{settings.group_id}-{settings.member_id()}",
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=max(1.0, settings.session_timeout / 10),
        consumer_auto_offset_reset="earliest",
        producer_linger=settings.producer_linger,
        # Records are acked by company lanes (agents/dispatch.py); a rebalance must not wait for
        # a tenant whose Halo hangs: its unacked work is dropped and replayed by the new owner.
        stream_wait_empty=False,
        # Keys are plain UTF-8 company ids on every topic and changelog (table routing hashes
        # the serialized key, so it must equal what producers send).
        key_serializer="raw",
        value_serializer="json",
        web_port=settings.web_port,
        web_bind=settings.web_bind,
        web_host=_advertised_host(settings),
        web_stats_enabled=False,
        web_graph_enabled=False,
        web_tables_enabled=False,
        web_application_options=server_options(settings),  # body limit, read timeouts
        autodiscover=False,
        loghandlers=[],
    )
    assert settings.secret_key is not None, "load_settings() guarantees a secret key"
    topology = build_topology(app, settings)
    outbox = Outbox(
        settings.connection(),
        partitions=lambda topic: settings.partitions,  # the worker checks it at start-up
        linger=settings.producer_linger,
        max_batch_bytes=OUTBOX_BATCH_BYTES,
    )
    for table in topology.tables:
        table.bind(outbox)
    runtime = Runtime(
        app=app,
        settings=settings,
        topology=topology,
        secrets=SecretBox(settings.secret_key),
        outbox=outbox,
        stores=LaneStores(
            alert_state=TableStore(topology.alert_state),
            company_status=TableStore(topology.company_status),
            configs=TableStore(topology.configs),
            activity=TableStore(topology.activity),
        ),
    )
    handover = register_agents(app, runtime)
    register_owner(app, runtime, handover)
    register_views(app, runtime)
    _track_readiness(app, runtime)

    @app.on_before_shutdown.connect
    async def _close(sender: faust.App, **_: object) -> None:
        await runtime.close()

    return app, runtime


def _advertised_host(settings: Settings) -> str:
    """Where other workers forward table-routed requests for partitions this worker owns."""
    if settings.web_host:
        return settings.web_host
    return socket.gethostname() if settings.web_bind in {"0.0.0.0", "::"} else settings.web_bind


def _track_readiness(app: faust.App, runtime: Runtime) -> None:
    """Remember that the worker has completed at least one rebalance (joined and recovered)."""

    @app.on_rebalance_complete.connect
    async def _on_complete(sender: faust.App, **_: object) -> None:
        runtime.joined = True
        runtime.metrics.rebalances.inc()
