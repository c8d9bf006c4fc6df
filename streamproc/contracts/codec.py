"""Bytes ↔ contract models: the only way records enter and leave the typed world.

:func:`decode_event` turns a raw Kafka value into a validated model or raises
:class:`ContractError` whose ``kind`` matches the dead-letter ``error_kind`` and whose message
lists every problem as ``field.path: problem``. :func:`encode` writes compact UTF-8 JSON.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

DecodeErrorKind = Literal["invalid_json", "not_an_object", "schema_invalid"]
MAX_LISTED_ERRORS = 20
MAX_MESSAGE = 4000
M = TypeVar("M", bound=BaseModel)
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


class ContractError(ValueError):
    """A record does not satisfy its topic contract; the shell dead-letters it.

    ``kind`` is one of ``invalid_json``, ``not_an_object``, ``schema_invalid``;
    ``message`` says what was wrong in words an operator can act on.
    """

    def __init__(self, kind: DecodeErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: DecodeErrorKind = kind
        self.message = message


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(record)"


def format_validation_error(exc: ValidationError) -> str:
    """Render a pydantic error as ``path: problem; path: problem`` (capped, one per field)."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{_loc(err['loc'])}: {err['msg']}" for err in errors[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        parts.append(f"... and {len(errors) - MAX_LISTED_ERRORS} more errors")
    message = "; ".join(parts)
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def decode_event(model: type[M], raw: bytes | None) -> M:
    """Parse and validate one raw Kafka value as ``model``.

    Raises :class:`ContractError`: ``invalid_json`` for bytes that are not UTF-8 JSON (NaN and
    Infinity included), ``not_an_object`` for JSON that is not an object (or a missing value),
    ``schema_invalid`` for an object that breaks the contract.
    """
    if raw is None:
        raise ContractError("not_an_object", "record has no value (null/tombstone)")
    if b"NaN" not in raw and b"Infinity" not in raw:  # pydantic's parser would accept those
        try:  # the common case: parsed and validated in one pass by pydantic-core
            return model.model_validate_json(raw)
        except ValidationError:
            pass  # classified below, with the messages operators know
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ContractError("invalid_json", f"value is not UTF-8: {exc.reason}") from exc
    except (ValueError, RecursionError) as exc:
        raise ContractError("invalid_json", f"value is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        got = _JSON_TYPES.get(type(data), "null")
        raise ContractError("not_an_object", f"expected a JSON object, got {got}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContractError("schema_invalid", format_validation_error(exc)) from exc


def encode(record: BaseModel) -> bytes:
    """Serialize a contract model as compact UTF-8 JSON (RFC 3339 timestamps)."""
    return record.model_dump_json().encode("utf-8")
