"""Shared fixtures. Broker fixtures start nothing unless an integration/e2e test asks for them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.broker import session_broker
from tests.support.worker import WorkerProcess

# A 2-core machine running a broker beside the tests makes per-example deadlines flaky; the
# properties, not their speed, are what these tests check.
settings.register_profile("streamproc", deadline=None)
settings.load_profile("streamproc")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka broker for the session (see tests/support/broker.py)."""
    with session_broker(tmp_path_factory.mktemp("kafka")) as bootstrap:
        yield bootstrap


@pytest.fixture
def unique_id(request: pytest.FixtureRequest) -> str:
    """A per-test id used for topic prefixes, app ids and group ids."""
    name = request.node.name.replace("[", "-").replace("]", "").lower()[:40]
    return f"t-{name}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_worker(
    kafka_bootstrap: str, unique_id: str, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Worker subprocesses sharing one app id and topic prefix; all stopped at teardown."""
    started: list[WorkerProcess] = []

    def _make(name: str = "w1", **kwargs: object) -> WorkerProcess:
        worker = WorkerProcess(
            bootstrap=kafka_bootstrap,
            app_id=unique_id,
            topic_prefix=f"{unique_id}.",
            data_dir=tmp_path / name / "data",
            log_path=tmp_path / f"{name}.log",
            **kwargs,  # type: ignore[arg-type]
        )
        started.append(worker)
        return worker

    yield _make
    for worker in started:
        worker.stop()
