"""The composition root: build the faust App and its shared runtime from one Settings object."""

from __future__ import annotations

import socket

import faust

from streamproc.agents.batch import LaneStores
from streamproc.engine.fetches import StreamprocApp
from streamproc.engine.outbox import Outbox
from streamproc.engine.tables import TableStore
from streamproc.runtime import Runtime
from streamproc.secretbox import SecretBox
from streamproc.settings import Settings
from streamproc.topology import build_topology
from streamproc.web.server import server_options

OUTBOX_BATCH_BYTES = 512 * 1024


def create_app(settings: Settings) -> tuple[faust.App, Runtime]:
    """A configured faust App with every topic, table, agent, timer and view registered."""
    app = StreamprocApp(
        settings.app_id,
        broker=[f"kafka://{server}" for server in settings.kafka_bootstrap_servers.split(",")],
        store="rocksdb://",
        datadir=str(settings.data_dir),
        processing_guarantee="at_least_once",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        table_standby_replicas=settings.standby_replicas,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=max(1.0, settings.session_timeout / 10),
        consumer_auto_offset_reset="earliest",
        # Lanes await their outputs' delivery: lingering lets many lanes share one produce request
        # (the outbox lingers the same time for its batches).
        producer_linger=settings.producer_linger,
        producer_max_batch_size=OUTBOX_BATCH_BYTES,
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
    app.fetch_max_wait_ms = round(settings.fetch_max_wait * 1000)
    assert settings.secret_key is not None, "load_settings() guarantees a secret key"
    topology = build_topology(app, settings)
    # Every topic has settings.partitions partitions (the worker checks at start-up).
    outbox = Outbox(
        app.producer._ensure_producer, lambda topic: settings.partitions, settings.producer_linger
    )
    runtime = Runtime(
        app=app,
        settings=settings,
        topology=topology,
        secrets=SecretBox(settings.secret_key),
        outbox=outbox,
        stores=LaneStores(
            alert_state=TableStore(topology.alert_state, outbox),
            company_status=TableStore(topology.company_status, outbox),
            configs=TableStore(topology.configs, outbox),
            activity=TableStore(topology.activity, outbox),
        ),
    )

    from streamproc.agents import register_agents
    from streamproc.web import register_views

    register_agents(app, runtime)
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
