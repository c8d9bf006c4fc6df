"""When the shell treats a Halo ticket as no longer open."""

from __future__ import annotations

import pytest

from streamproc.halopsa import Ticket
from streamproc.instances.executor import closed_how


def _ticket(**fields: object) -> Ticket:
    return Ticket.parse({"id": 1001, "summary": "s", "status_id": 1, **fields})


@pytest.mark.parametrize(
    ("fields", "closed_status", "expected"),
    [
        ({}, 9, None),
        ({"status_id": 9}, 9, "closed"),
        ({"status_id": 12}, 12, "closed"),  # the company's configured closed status
        ({"status_id": 12}, 9, None),
        ({"hasbeenclosed": True}, 9, "closed"),
        ({"deleted": True}, 9, "deleted"),
        ({"merged_into_id": 1002}, 9, "merged"),
    ],
)
def test_closed_how(fields: dict, closed_status: int, expected: str | None) -> None:
    assert closed_how(_ticket(**fields), closed_status) == expected
