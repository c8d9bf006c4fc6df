"""Priority and type matrix (SPEC §7): first matching entry wins, then the defaults."""

from __future__ import annotations

from fnmatch import fnmatchcase

from core_builders import a_config
from hypothesis import given, settings
from hypothesis import strategies as st

from streamproc.core.policies import TicketClass, ticket_class

SEVERITIES = ["critical", "warning", "info", "Critical"]
NAMES = ["Disk almost full", "Backup failed", "disk check", "Battery"]
entries = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "severity": st.sampled_from(SEVERITIES),
            "alert_name_pattern": st.sampled_from(["Disk*", "*backup*", "?attery", "*"]),
        },
    ).flatmap(
        lambda cond: st.one_of(
            st.just({**cond, "priority_id": 1}),
            st.just({**cond, "tickettype_id": 2}),
            st.just({**cond, "priority_id": 4, "tickettype_id": 5}),
        )
    ),
    max_size=6,
)


def test_defaults_without_a_matrix() -> None:
    config = a_config(default_priority_id=3, default_tickettype_id=1)
    assert ticket_class(config, "critical", "Disk") == TicketClass(3, 1)


def test_severity_and_pattern_pick_the_first_match_case_insensitively() -> None:
    config = a_config(
        default_priority_id=3,
        default_tickettype_id=1,
        priority_matrix=[
            {"severity": "critical", "alert_name_pattern": "backup*", "tickettype_id": 7},
            {"severity": "CRITICAL", "priority_id": 1},
        ],
    )
    assert ticket_class(config, "critical", "Backup failed") == TicketClass(3, 7, 0)
    assert ticket_class(config, "Critical", "Disk almost full") == TicketClass(1, 1, 1)
    assert ticket_class(config, "warning", "Backup failed") == TicketClass(3, 1)
    assert ticket_class(config, None, "Backup failed") == TicketClass(3, 1)  # a manual warning


@settings(max_examples=300, deadline=None)
@given(
    matrix=entries,
    severity=st.sampled_from(SEVERITIES),
    name=st.sampled_from(NAMES),
    defaults=st.tuples(st.sampled_from([None, 3]), st.sampled_from([None, 1])),
)
def test_the_chosen_entry_matches_and_no_earlier_one_does(
    matrix: list[dict], severity: str, name: str, defaults: tuple
) -> None:
    config = a_config(
        priority_matrix=matrix, default_priority_id=defaults[0], default_tickettype_id=defaults[1]
    )
    chosen = ticket_class(config, severity, name)

    def matches(entry: dict) -> bool:
        sev = entry.get("severity")
        pattern = entry.get("alert_name_pattern")
        return (sev is None or sev.lower() == severity.lower()) and (
            pattern is None or fnmatchcase(name.lower(), pattern.lower())
        )

    hits = [i for i, e in enumerate(matrix) if matches(e)]
    if not hits:
        assert chosen == TicketClass(*defaults)
        return
    entry = matrix[hits[0]]
    assert chosen.entry == hits[0]
    assert chosen.priority_id == (entry.get("priority_id") or defaults[0])
    assert chosen.tickettype_id == (entry.get("tickettype_id") or defaults[1])
