"""Calibration (row 1c): the plain faust agent the performance issue calibrates against.

JSON-decode each alert, one in-memory table update, one small JSON send per event; no lanes,
no validation, no RocksDB, no Halo. It shows what faust itself reaches on this machine, so
row 2 can be read against the chosen stack as well as against raw aiokafka.

Run as ``python -m bench.plain_faust`` with ``PLAIN_BOOTSTRAP``, ``PLAIN_APP_ID``,
``PLAIN_SOURCE``, ``PLAIN_SINK``, ``PLAIN_PARTITIONS`` and ``PLAIN_WEB_PORT`` set.
"""

from __future__ import annotations

import json
import os

import faust


def build() -> faust.App:
    env = os.environ
    app = faust.App(
        env["PLAIN_APP_ID"],
        broker=f"kafka://{env['PLAIN_BOOTSTRAP']}",
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
