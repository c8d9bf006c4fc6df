"""Calibration rows: plain faust agents on the same alerts as row 2.

- ``PLAIN_MODE=calibration`` (row 1c), the agent the performance issue calibrates against:
  JSON-decode each alert, one in-memory table update, one small JSON send per event; no lanes,
  no validation, no RocksDB, no Halo. It shows what faust itself reaches on this machine.
- ``PLAIN_MODE=floor`` (row 1d): an agent that only acknowledges each event. faust's delivery
  of records to an agent, one at a time, costs this much before any work: the reason
  streamproc takes whole fetches instead (``streamproc/engine/fetches.py``). After
  ``PLAIN_EXPECT`` events it sends one record, ``{"events": n, "seconds": s}``, timed from its
  first event.

Run as ``python -m bench.plain_faust`` with the ``KAFKA_*`` connection settings, ``PLAIN_APP_ID``,
``PLAIN_SOURCE``, ``PLAIN_SINK``, ``PLAIN_PARTITIONS``, ``PLAIN_WEB_PORT`` (and for the floor
``PLAIN_EXPECT``) set.
"""

from __future__ import annotations

import json
import os
import time

import faust

from streamproc.kafka.connection import KafkaConnection, faust_options


def build() -> faust.App:
    env = os.environ
    app = faust.App(
        env["PLAIN_APP_ID"],
        **faust_options(KafkaConnection()),  # KAFKA_* from bench/infra.py
        store="memory://",
        topic_partitions=int(env["PLAIN_PARTITIONS"]),
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
        web_port=int(env["PLAIN_WEB_PORT"]),
        web_bind="127.0.0.1",
        autodiscover=False,
    )
    source = app.topic(env["PLAIN_SOURCE"])
    sink = app.topic(env["PLAIN_SINK"])
    counts = app.Table("plain-counts", default=int, partitions=int(env["PLAIN_PARTITIONS"]))

    if env.get("PLAIN_MODE", "calibration") == "floor":
        expect = int(env["PLAIN_EXPECT"])

        @app.agent(source)
        async def floor(stream: faust.StreamT) -> None:
            seen, began = 0, 0.0
            async for event in stream.noack().events():
                event.ack()
                seen += 1
                if seen == 1:
                    began = time.perf_counter()
                if seen == expect:
                    took = {"events": seen - 1, "seconds": time.perf_counter() - began}
                    await sink.send(value=json.dumps(took).encode())

        return app

    @app.agent(source)
    async def handle(stream: faust.StreamT) -> None:
        async for key, value in stream.items():
            event = json.loads(value)
            counts[key] += 1
            result = {"event_id": event["event_id"], "outcome": "skipped"}
            await sink.send(key=key, value=json.dumps(result).encode())

    return app


if __name__ == "__main__":
    from faust.worker import Worker

    worker = Worker(build(), loglevel="info", redirect_stdouts=False)
    worker.spinner = None  # see streamproc/worker.py
    worker.execute_from_commandline()
