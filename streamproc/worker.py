"""Run one worker process: create topics, then hand over to faust's worker (signals, loop)."""

from __future__ import annotations

import asyncio
import logging

from streamproc.app import create_app
from streamproc.kafka.topics import ensure_topics
from streamproc.settings import Settings
from streamproc.topology import topic_specs


def run_worker(settings: Settings) -> None:
    """Blocks until the worker is stopped (SIGTERM/SIGINT); exits the process like faust does."""
    from faust.worker import Worker

    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(
        ensure_topics(
            settings.kafka_bootstrap_servers, topic_specs(settings), settings.replication_factor
        )
    )
    app, _ = create_app(settings)
    worker = Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    # faust's terminal spinner (on at warning/error levels) sets the root logger to DEBUG, so every
    # debug call in faust and aiokafka would build a log record: a third of a worker's CPU.
    worker.spinner = None
    worker.execute_from_commandline()
