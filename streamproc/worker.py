"""Run one worker process: create topics, then hand over to faust's worker (signals, loop)."""

from __future__ import annotations

import asyncio
import gc
import logging

import uvloop

from streamproc.app import create_app
from streamproc.kafka.preflight import check_connection
from streamproc.kafka.topics import ensure_topics
from streamproc.settings import Settings
from streamproc.topology import topic_specs

log = logging.getLogger(__name__)

# Well inside the 30 s an operator (or an orchestrator's start-up probe) should wait to learn
# that the Kafka settings are wrong.
KAFKA_CHECK_SECONDS = 20.0


def run_worker(settings: Settings) -> None:
    """Blocks until the worker is stopped (SIGTERM/SIGINT); exits the process like faust does."""
    from faust.worker import Worker

    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # uvloop: the worker's per-event cost is mostly event-loop scheduling (faust's delivery, the
    # lanes, the producers); uvloop's loop takes about 12 % less CPU per event (``bench``).
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(_prepare_kafka(settings))
    app, _ = create_app(settings)
    tune_gc()
    worker = Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    # faust's terminal spinner (on at warning/error levels) sets the root logger to DEBUG, so every
    # debug call in faust and aiokafka would build a log record: a third of a worker's CPU.
    worker.spinner = None
    worker.execute_from_commandline()


async def _prepare_kafka(settings: Settings) -> None:
    """Fail fast, with what to fix, on a cluster these settings cannot use; then create topics."""
    connection = settings.connection()
    log.info("connecting to Kafka at %s", connection.describe())
    await check_connection(connection, seconds=KAFKA_CHECK_SECONDS)
    await ensure_topics(connection, topic_specs(settings))


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a worker that allocates per record.

    With CPython's defaults (a young collection every 700 allocations) a busy worker spent 16-19 %
    of its time collecting, mostly re-scanning records queued in the lanes; with these settings,
    about 5 % (``bench`` row 2, measured with ``gc.callbacks``). The objects of start-up (modules,
    the app) are frozen out of every collection.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
