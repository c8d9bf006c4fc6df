"""Dead-letter envelope (``streamproc.dead-letter``) for input records we could not handle.

The envelope keeps the original bytes (base64) so a record can be replayed after a fix, plus a
readable preview and a clear error message.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from pydantic import Field

from streamproc.contracts._base import TEXT_MAX, OutputModel, Text, Timestamp

ErrorKind = Literal["invalid_json", "schema_invalid", "not_an_object", "processing_error"]
PREVIEW_MAX = 10_000


class DeadLetter(OutputModel):
    """An input record that could not be parsed, validated or processed."""

    source_topic: str = Field(min_length=1, max_length=249, description="Topic it was read from.")
    partition: int = Field(ge=0, description="Partition it was read from.")
    offset: int = Field(ge=0, description="Offset in that partition.")
    key: Text | None = Field(description="Key as text (invalid UTF-8 replaced), or null.")
    key_b64: str | None = Field(description="Raw key bytes, base64, or null.")
    value: Text | None = Field(
        description="Value as text (invalid UTF-8 replaced), first ~10 KB only, or null."
    )
    value_b64: str | None = Field(description="Full raw value bytes, base64, or null.")
    error: Text = Field(description="What was wrong, e.g. 'alert.visible: Input should be ...'.")
    error_kind: ErrorKind = Field(
        description="invalid_json | schema_invalid | not_an_object | processing_error."
    )
    at: Timestamp = Field(description="When the record was dead-lettered.")


def _text(raw: bytes | None, limit: int | None = None) -> str | None:
    if raw is None:
        return None
    text = raw.decode("utf-8", errors="replace")
    return text if limit is None else text[:limit]


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def dead_letter(
    *,
    source_topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    error: str,
    error_kind: ErrorKind,
    at: datetime,
) -> DeadLetter:
    """Build the dead-letter envelope for one raw Kafka record.

    The value preview is capped at 10 000 characters and the error at 100 000; the full raw
    bytes are always kept in ``value_b64``.
    """
    return DeadLetter(
        source_topic=source_topic,
        partition=partition,
        offset=offset,
        key=_text(key, PREVIEW_MAX),
        key_b64=_b64(key),
        value=_text(value, PREVIEW_MAX),
        value_b64=_b64(value),
        error=error[:TEXT_MAX],
        error_kind=error_kind,
        at=at,
    )
