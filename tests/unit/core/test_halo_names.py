from streamproc.core.halo_names import CAP, learned, name_of, with_names
from streamproc.core.status import empty_status
from streamproc.web.shaping import normalize_status

OPTIONS = {
    "ticket_types": [{"id": 1, "name": "Alert", "sla_id": 1}],
    "priorities": [{"id": 2, "name": "High", "sla_id": 1}],
    "clients": [{"id": 11, "name": "Acme"}, {"id": 12, "name": "Globex"}],
    "sites": [{"id": 21, "name": "Acme HQ"}, {"id": 22, "name": "Acme Warehouse"}],
    "statuses": [{"id": 9, "name": "Closed"}],
}


def test_learned_keeps_every_type_priority_status_but_only_the_default_client_and_site():
    names = learned(OPTIONS, 11, 22)
    assert names["ticket_types"] == {"1": "Alert"}
    assert names["priorities"] == {"2": "High"}
    assert names["statuses"] == {"9": "Closed"}
    assert names["clients"] == {"11": "Acme"}
    assert names["sites"] == {"22": "Acme Warehouse"}
    assert learned(OPTIONS, None, None)["clients"] == {}


def test_with_names_merges_newer_wins_and_survives_normalize_status():
    first = with_names(empty_status(), learned(OPTIONS, 11, 21), "t1")
    renamed = {**OPTIONS, "clients": [{"id": 12, "name": "Globex Ltd"}]}
    second = with_names(first, {**learned(renamed, 12, None), "ticket_types": {"1": "Alarm"}}, "t2")
    names = normalize_status(second)["halo_names"]
    assert names["at"] == "t2"
    assert names["clients"] == {"11": "Acme", "12": "Globex Ltd"}
    assert name_of(names, "ticket_types", 1) == "Alarm"
    assert name_of(names, "sites", 21) == "Acme HQ"
    assert name_of(names, "sites", 99) is None
    assert name_of(None, "sites", 21) is None


def test_with_names_keeps_at_most_cap_per_kind_the_latest():
    many = {"statuses": {str(i): f"S{i}" for i in range(CAP + 5)}}
    names = with_names({}, many, "t")["halo_names"]["statuses"]
    assert len(names) == CAP
    assert "0" not in names
    assert names[str(CAP + 4)] == f"S{CAP + 4}"
