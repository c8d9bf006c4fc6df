"""Shared building blocks of every topic contract: base models and constrained field types.

Two model families exist:

* input parts (``InputPart``/``InputModel``) are read from other services; unknown fields are
  accepted and ignored so that upstream can add fields without breaking us;
* output parts (``OutputPart``/``OutputModel``) are written by us; unknown fields are rejected so
  that a typo in our own code fails in tests instead of leaking onto a topic.

All models are frozen. Top-level models carry ``schema_version`` (always 1 for now).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

ID_MAX = 200
NAME_MAX = 1000
TEXT_MAX = 100_000

Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX)]
"""An identifier: non-empty, at most 200 characters."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
"""A short human-readable name: non-empty, at most 1000 characters."""

OptionalName = Annotated[str, StringConstraints(max_length=NAME_MAX)] | None
"""An optional short text (may be empty), at most 1000 characters."""

Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
"""A body of text (may be empty), at most 100 000 characters."""

Word = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
"""A machine word such as ``already_open``: lower-case letters, digits and underscores."""

HaloId = Annotated[int, Field(ge=1)]
"""A HaloPSA record id (positive integer)."""

Timestamp = AwareDatetime
"""A timezone-aware datetime; RFC 3339 on the wire. Naive datetimes are rejected."""


class InputPart(BaseModel):
    """Nested part of an input event: frozen, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class OutputPart(BaseModel):
    """Nested part of an output event: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


_VERSION_DOC = "Contract version of this record; always 1 in v1. Inputs may omit it."


class InputModel(InputPart):
    """Top-level input record (one Kafka value)."""

    schema_version: Literal[1] = Field(default=1, description=_VERSION_DOC)


class OutputModel(OutputPart):
    """Top-level output record (one Kafka value)."""

    schema_version: Literal[1] = Field(default=1, description=_VERSION_DOC)
