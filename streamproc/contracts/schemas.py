"""JSON Schema files for every topic, generated from the contract models.

Usage::

    python -m streamproc.contracts.schemas            # (re)write topics/*.schema.json
    python -m streamproc.contracts.schemas --check    # exit 1 listing stale/missing/extra files

:func:`render_schemas` is pure (topic name → file text); only :func:`main` touches files.
Input and internal topics are described as validated (what we accept); output topics as
serialized (what we write).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streamproc.contracts.registry import TOPICS, TopicSpec

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "urn:streamproc:topics:"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "topics"
SUFFIX = ".schema.json"


def topic_schema(spec: TopicSpec) -> dict[str, Any]:
    """The JSON Schema document for one topic's values, with ``$id``, title and description."""
    mode = "serialization" if spec.direction == "out" else "validation"
    schema = spec.value_model.model_json_schema(mode=mode)
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = f"{ID_BASE}{spec.name}{SUFFIX}"
    schema["title"] = f"{spec.name} ({spec.value_model.__name__} v1)"
    schema["description"] = spec.description
    schema["x-kafka"] = {
        "topic": spec.name,
        "direction": spec.direction,
        "compacted": spec.compacted,
        "key": "original record key" if spec.name == "streamproc.dead-letter" else "company id",
    }
    return schema


def render_schemas() -> dict[str, str]:
    """File name → file text for every registered topic (pretty, sorted keys, trailing newline)."""
    return {
        f"{name}{SUFFIX}": json.dumps(topic_schema(spec), indent=2, sort_keys=True) + "\n"
        for name, spec in TOPICS.items()
    }


def stale_files(directory: Path) -> list[str]:
    """Problems with the schema files in ``directory``: missing, stale or unexpected ones."""
    wanted = render_schemas()
    problems = []
    for name, text in sorted(wanted.items()):
        path = directory / name
        if not path.exists():
            problems.append(f"missing: {path}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {path}")
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        if path.name not in wanted:
            problems.append(f"unexpected: {path}")
    return problems


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema file into ``directory``; return the files that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in render_schemas().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m streamproc.contracts.schemas")
    parser.add_argument("--check", action="store_true", help="fail if files are stale")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="output directory")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_files(args.dir)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m streamproc.contracts.schemas", file=sys.stderr)
        return 1 if problems else 0
    for path in write_schemas(args.dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
