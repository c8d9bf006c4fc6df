"""Resolve the Kafka broker jars from Maven Central into a project-local cache (once)."""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_MARKER = ".complete"


class KafkaSetupError(RuntimeError):
    """The local broker cannot be set up or started; the message says why and what to do."""


def pom_path() -> Path:
    """The pom.xml that pins the broker version (shipped inside the package)."""
    return Path(str(resources.files("streamproc.kafka").joinpath("pom.xml")))


def libs_ready(libs: Path) -> bool:
    """True when a previous resolution finished; a second `up` then needs no network."""
    return (libs / _MARKER).exists() and any(libs.glob("kafka_2.13-*.jar"))


def ensure_jars(libs: Path, *, quiet: bool = True) -> Path:
    """Copy the broker's runtime classpath into ``libs`` with Maven unless it is already there."""
    # Absolute: Maven resolves a relative outputDirectory against the POM's folder (the package).
    libs = libs.resolve()
    if libs_ready(libs):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError("Maven (mvn) is not installed: it is needed once to fetch Kafka jars")
    libs.mkdir(parents=True, exist_ok=True)
    cmd = [
        mvn,
        "-B",
        *(["-q"] if quiet else []),
        "-f",
        str(pom_path()),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={libs}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise KafkaSetupError(f"Maven could not resolve the Kafka jars:\n{tail}")
    (libs / _MARKER).write_text("ok\n")
    return libs
