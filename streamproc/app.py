"""The composition root: build the faust App from one Settings object."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import faust

from streamproc.settings import Settings
from streamproc.topology import Topology, build_topology


@dataclass
class Runtime:
    """What agents and views share in one worker process."""

    settings: Settings
    topology: Topology
    joined: bool = False


def create_app(settings: Settings) -> tuple[faust.App, Runtime]:
    """A configured faust App with every topic, table, agent and view registered."""
    app = faust.App(
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
        autodiscover=False,
        loghandlers=[],
    )
    runtime = Runtime(settings=settings, topology=build_topology(app, settings))

    from streamproc.agents import register_agents
    from streamproc.web import register_views

    register_agents(app, runtime)
    register_views(app, runtime)
    _track_readiness(app, runtime)
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


def is_ready(app: faust.App, runtime: Runtime) -> bool:
    """Ready = joined the group and recovered the tables of the partitions assigned to us."""
    return runtime.joined and not app.rebalancing and not app.in_recovery
