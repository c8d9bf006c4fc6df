"""The local broker's config and CLI behave as documented (no JVM started here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from streamproc.cli import main
from streamproc.kafka import jars
from streamproc.kafka.broker import BrokerLayout, server_properties
from streamproc.kafka.jars import pom_path

REPO = Path(__file__).resolve().parents[3]


def _props(layout: BrokerLayout) -> dict[str, str]:
    lines = server_properties(layout).splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_broker_config_suits_a_small_machine(tmp_path) -> None:
    props = _props(BrokerLayout(home=tmp_path, port=19092, controller_port=19093, partitions=4))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["process.roles"] == "broker,controller"
    assert props["num.partitions"] == "4"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["offsets.topic.replication.factor"] == "1"
    assert int(props["log.cleaner.dedupe.buffer.size"]) <= 16 * 1024 * 1024


def test_pom_pins_kafka_41_and_the_dependency_plugin() -> None:
    pom = pom_path().read_text()
    assert "<kafka.version>4.1." in pom
    assert "<artifactId>maven-dependency-plugin</artifactId>\n          <version>3." in pom
    assert "slf4j" in pom


def test_jars_go_where_asked_even_for_a_relative_path(tmp_path, monkeypatch) -> None:
    """Maven would resolve a relative outputDirectory against the POM's folder."""
    seen: list[list[str]] = []

    def fake_run(cmd, **_kwargs):
        seen.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(jars.subprocess, "run", fake_run)
    monkeypatch.setattr(jars.shutil, "which", lambda _name: "/usr/bin/mvn")
    done = jars.ensure_jars(Path(".cache/kafka/libs"))
    assert done == tmp_path / ".cache/kafka/libs"
    assert f"-DoutputDirectory={tmp_path / '.cache/kafka/libs'}" in seen[0]


def test_external_cluster_means_start_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    result = CliRunner().invoke(main, ["kafka", "down", "--home", str(tmp_path)])
    assert result.exit_code == 0
    assert "not stopping an external cluster" in result.output


def test_status_of_a_stopped_broker(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    result = CliRunner().invoke(main, ["kafka", "status", "--home", str(tmp_path)])
    assert result.exit_code == 3
    assert "state: stopped" in result.output
    assert f"data dir: {tmp_path.resolve() / 'data'}" in result.output


def test_docker_compose_config_is_valid() -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker client")
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("docker client has no compose plugin")
    proc = subprocess.run(
        ["docker", "compose", "config", "--quiet"], cwd=REPO, capture_output=True, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
