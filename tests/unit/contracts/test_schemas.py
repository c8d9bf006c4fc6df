"""The checked-in JSON Schema files in topics/ match the contract models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamproc.contracts import TOPICS
from streamproc.contracts.schemas import DEFAULT_DIR, main, render_schemas, stale_files

TOPICS_DIR = Path(__file__).resolve().parents[3] / "topics"


def test_checked_in_schemas_are_current() -> None:
    assert DEFAULT_DIR == TOPICS_DIR
    problems = stale_files(TOPICS_DIR)
    assert problems == [], (
        "topics/*.schema.json are out of date; run: python -m streamproc.contracts.schemas\n"
        + "\n".join(problems)
    )


def test_one_schema_per_topic_with_identity() -> None:
    files = render_schemas()
    assert set(files) == {f"{name}.schema.json" for name in TOPICS}
    for name, text in files.items():
        assert text.endswith("}\n")
        doc = json.loads(text)
        assert doc["$id"].endswith(name)
        assert doc["title"].startswith(name.removesuffix(".schema.json"))
        assert doc["description"]
        assert "schema_version" in doc["properties"]


def test_alert_schema_requires_contract_fields() -> None:
    doc = json.loads(render_schemas()["watchman.alerts.schema.json"])
    assert set(doc["required"]) == {
        "event_id",
        "event_type",
        "occurred_at",
        "company_id",
        "alert",
        "computer",
    }


def test_check_reports_missing_stale_and_unexpected(tmp_path: Path) -> None:
    assert main(["--dir", str(tmp_path)]) == 0
    assert stale_files(tmp_path) == []
    (tmp_path / "watchman.alerts.schema.json").write_text("{}\n")
    (tmp_path / "halopsa.ticket-results.schema.json").unlink()
    (tmp_path / "old.topic.schema.json").write_text("{}\n")
    problems = stale_files(tmp_path)
    assert [p.split(":")[0] for p in problems] == ["missing", "stale", "unexpected"]
    assert main(["--check", "--dir", str(tmp_path)]) == 1


def test_check_cli_passes_on_fresh_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--dir", str(tmp_path)])
    capsys.readouterr()
    assert main(["--check", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
