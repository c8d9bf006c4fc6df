"""Ticket ids from Halo webhook deliveries of every shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamproc.web.webhook_payload import as_ticket_id, observation, ticket_id_of, ticket_ids


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"object_id": 1001}, 1001),
        ({"object_id": "1001"}, 1001),
        ({"Object_ID": " 1002 "}, 1002),
        ({"ticket": {"id": 1003, "summary": "x"}, "action": {"ticket_id": 1003}}, 1003),
        ({"ticket": {"ID": "1004"}}, 1004),
        ({"ticket_id": 1005}, 1005),
        ({"id": 1006}, 1006),
        ({"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "ticket_id": 1007}, 1007),
        # key fields only, as documented: id, notification id, event, webhook id, object id
        (
            {
                "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "notification_id": 3,
                "escmsg_id": 0,
                "event": "Ticket Status Changed",
                "webhook_id": "a1",
                "object_id": 1008,
                "timestamp": "2026-05-01T10:00:00Z",
            },
            1008,
        ),
        ({"object_id": None, "ticket": {"id": 1009}}, 1009),
        ({"object_id": "abc", "id": 1010}, 1010),
        ({"id": True}, None),
        ({"id": 0}, None),
        ({"id": -3}, None),
        ({"id": 1.0}, 1),
        ({"id": 1.5}, None),
        ({"id": "9" * 30}, None),
        ({}, None),
        ("1001", None),
        (None, None),
    ],
)
def test_ticket_id_of(event, expected):
    assert ticket_id_of(event) == expected


def test_batched_array_deduplicates_in_order():
    batch = [{"object_id": 2}, {"ticket": {"id": 1}}, {"ticket_id": "2"}, {"nothing": 1}, 7]
    assert ticket_ids(batch) == [2, 1]


def test_single_object():
    assert ticket_ids({"ticket": {"id": 5}}) == [5]
    assert ticket_ids("nope") == []
    assert ticket_ids([]) == []


def test_as_ticket_id():
    assert as_ticket_id(" 42 ") == 42
    assert as_ticket_id(False) is None
    assert as_ticket_id([1]) is None


def test_observation_record():
    at = datetime(2026, 5, 1, tzinfo=UTC)
    assert observation("acme", 1001, at) == {
        "company_id": "acme",
        "halo_ticket_id": 1001,
        "source": "webhook",
        "observed_at": "2026-05-01T00:00:00+00:00",
    }


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@given(_json)
def test_fuzz_any_json_gives_positive_ids(payload):
    assert all(isinstance(i, int) and i >= 1 for i in ticket_ids(payload))
