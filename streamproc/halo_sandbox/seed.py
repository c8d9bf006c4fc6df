"""Deterministic demo data, and the constants other test suites import.

The ids are spread over distinct ranges (clients 11.., sites 21.., users 31.., assets 41..)
so a test that mixes them up fails loudly instead of passing by coincidence; nothing uses
id 1 for a client, because real integrations must not assume it (reference §2.7).
"""

from __future__ import annotations

import uuid

from .world import World

# --- API applications ---------------------------------------------------------------------------
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # scope "all"
ACME_CLIENT_ID = "acme-client"
ACME_CLIENT_SECRET = "acme-secret"  # scope "all"; meant for the /t/acme tenant
READONLY_CLIENT_ID = "readonly-client"
READONLY_CLIENT_SECRET = "readonly-secret"  # only read:tickets -> 403 elsewhere

# --- reference data -----------------------------------------------------------------------------
SLA_STANDARD = 1
SLA_PREMIUM = 2
STATUS_NEW = 1
STATUS_IN_PROGRESS = 2
STATUS_CLOSED = 9
TICKETTYPE_INCIDENT = 1  # default_sla 1, default_priority 3
TICKETTYPE_ALERT = 2  # default_sla 2, default_priority 2
TICKETTYPE_CHANGE = 3  # requires approval -> 400 CODE:APP03/2
TICKETTYPE_SERVICE_REQUEST = 4  # no SLA (-1), category_1 mandatory unless _novalidate
OUTCOME_INTERNAL_NOTE = 7
PRIORITY_NAMES = {1: "Critical", 2: "High", 3: "Medium", 4: "Low"}

# --- customers ----------------------------------------------------------------------------------
CLIENT_ACME = 11
CLIENT_GLOBEX = 12
CLIENT_INITECH = 13
SITE_ACME_HQ = 21  # main site of Acme
SITE_ACME_WAREHOUSE = 22
SITE_GLOBEX_LONDON = 23
SITE_INITECH_MAIN = 24
USER_ALICE = 31  # alice@acme.example, Acme HQ
USER_BOB = 32  # bob@acme.example, Acme Warehouse
USER_CAROL = 33  # carol@globex.example, Globex London
USER_DAVE = 34  # dave@initech.example, Initech Main Office
USER_NO_SITE = 35  # eve@initech.example: site unresolvable -> ticket create 400
USER_EMAILS = {
    USER_ALICE: "alice@acme.example",
    USER_BOB: "bob@acme.example",
    USER_CAROL: "carol@globex.example",
    USER_DAVE: "dave@initech.example",
    USER_NO_SITE: "eve@initech.example",
}

# --- assets -------------------------------------------------------------------------------------
ASSETTYPE_LAPTOP = 51
ASSETTYPE_DESKTOP = 52
ASSETTYPE_MAC = 53  # its serial field is named "Serial No." (the "renamed field" case)
FIELD_NAME = 101
FIELD_MODEL = 51
FIELD_SERIAL = 117  # "Serial Number"
FIELD_SERIAL_RENAMED = 118  # "Serial No."
SERIAL_FIELD_NAME = "Serial Number"
RENAMED_SERIAL_FIELD_NAME = "Serial No."

ASSET_ACME_LAPTOP = 41  # Alice, serial C02ABC123XYZ
ASSET_ACME_DESKTOP = 42  # Bob, serial PC0DESK0042
ASSET_GLOBEX_LAPTOP = 43  # Carol, serial 5CG1234XYZ
ASSET_INITECH_DESKTOP = 44  # no user, serial MXL9876543
ASSET_ACME_MAC = 45  # Alice, "Serial No." = C02RENAMED01
ASSET_ACME_INACTIVE = 46  # inactive, serial C02OLD000001
ASSET_GLOBEX_LOOKALIKE = 47  # serial XC02ABC123XYZ: fuzzy search for 41's serial finds both
SERIALS = {
    ASSET_ACME_LAPTOP: "C02ABC123XYZ",
    ASSET_ACME_DESKTOP: "PC0DESK0042",
    ASSET_GLOBEX_LAPTOP: "5CG1234XYZ",
    ASSET_INITECH_DESKTOP: "MXL9876543",
    ASSET_ACME_MAC: "C02RENAMED01",
    ASSET_ACME_INACTIVE: "C02OLD000001",
    ASSET_GLOBEX_LOOKALIKE: "XC02ABC123XYZ",
}
FIRST_TICKET_ID = 1001


def _guid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"halo-sandbox:{name}"))


def seed_reference(w: World) -> None:
    """Data every Halo instance has: SLAs, priorities, statuses, ticket types, outcomes, apps."""
    w.slas = {SLA_STANDARD: {"id": 1, "name": "Standard SLA"}, 2: {"id": 2, "name": "Premium SLA"}}
    hours = {1: 2, 2: 8, 3: 24, 4: 72}
    for sla in (SLA_STANDARD, SLA_PREMIUM):
        for pid, name in PRIORITY_NAMES.items():
            w.priorities.append(
                {
                    "id": _guid(f"prio-{sla}-{pid}"),
                    "slaid": sla,
                    "priorityid": pid,
                    "name": name,
                    "colour": ["", "#d9534f", "#f0ad4e", "#5bc0de", "#5cb85c"][pid],
                    "ishidden": False,
                    "fixtime": hours[pid] / sla,
                    "fixunits": "h",
                    "responsetime": hours[pid] / (2 * sla),
                    "responseunits": "h",
                }
            )
    names = {1: "New", 2: "In Progress", 3: "Action Required", 4: "Waiting on User", 9: "Closed"}
    w.statuses = {
        sid: {"id": sid, "name": n, "shortname": n[:4], "type": 1, "sequence": i, "colour": ""}
        for i, (sid, n) in enumerate(names.items(), start=1)
    }
    common = {"visible": True, "initial_status": STATUS_NEW, "allowed_status": []}
    w.tickettypes = {
        1: {**common, "id": 1, "name": "Incident", "default_sla": 1, "default_priority": 3},
        2: {**common, "id": 2, "name": "Alert", "default_sla": 2, "default_priority": 2},
        3: {
            **common,
            "id": 3,
            "name": "Change Request",
            "default_sla": 1,
            "default_priority": 3,
            "requires_approval": True,
        },
        4: {
            **common,
            "id": 4,
            "name": "Service Request",
            "default_sla": -1,
            "default_priority": 4,
            "mandatory_fields": ["category_1"],
        },
    }
    outcomes = {1: "Email User", 2: "Phone Call", 4: "Resolved", 7: "Internal Note", 23: "Remote"}
    w.outcomes = {i: {"id": i, "outcome": n, "buttonname": n} for i, n in outcomes.items()}
    w.apps = {
        DEMO_CLIENT_ID: {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
        ACME_CLIENT_ID: {"client_id": ACME_CLIENT_ID, "client_secret": ACME_CLIENT_SECRET},
        READONLY_CLIENT_ID: {
            "client_id": READONLY_CLIENT_ID,
            "client_secret": READONLY_CLIENT_SECRET,
            "permissions": ["read:tickets"],
        },
    }
    w.next_ticket_id = FIRST_TICKET_ID


def seed_demo(w: World) -> None:
    """Customers, contacts and assets for the demo world."""
    for cid, name, main in (
        (11, "Acme Corporation", 21),
        (12, "Globex Ltd", 23),
        (13, "Initech", 24),
    ):
        w.clients[cid] = {
            "id": cid,
            "name": name,
            "inactive": False,
            "toplevel_id": 1,
            "main_site_id": main,
        }
    for sid, cid, name in (
        (21, 11, "Acme HQ"),
        (22, 11, "Acme Warehouse"),
        (23, 12, "Globex London"),
        (24, 13, "Initech Main Office"),
    ):
        w.sites[sid] = {"id": sid, "name": name, "client_id": cid, "inactive": False, "sla_id": 1}
    people = (
        (31, "Alice", "Anderson", 21),
        (32, "Bob", "Brown", 22),
        (33, "Carol", "Chen", 23),
        (34, "Dave", "Davis", 24),
        (35, "Eve", "Orphan", None),
    )
    for uid, first, last, site in people:
        w.users[uid] = {
            "id": uid,
            "name": f"{first} {last}",
            "firstname": first,
            "surname": last,
            "emailaddress": USER_EMAILS[uid],
            "login": first.lower(),
            "site_id": site,
            "inactive": False,
        }
    name_f = {"id": FIELD_NAME, "name": "Name", "key": 1, "searchable": True}
    model_f = {"id": FIELD_MODEL, "name": "Model", "key": 3, "searchable": False}
    serial_f = {"id": FIELD_SERIAL, "name": SERIAL_FIELD_NAME, "searchable": True}
    renamed_f = {"id": FIELD_SERIAL_RENAMED, "name": RENAMED_SERIAL_FIELD_NAME, "searchable": True}
    w.assettypes = {
        51: {"id": 51, "name": "Laptop", "fields": [name_f, serial_f, model_f]},
        52: {"id": 52, "name": "Desktop", "fields": [name_f, serial_f, model_f]},
        53: {"id": 53, "name": "Mac", "fields": [name_f, renamed_f, model_f]},
    }
    rows = (
        (41, "ACME-0041", 51, 11, 21, 31, "acme-lt-alice", "Latitude 7440", False),
        (42, "ACME-0042", 52, 11, 22, 32, "acme-dt-bob", "OptiPlex 7010", False),
        (43, "GLOBEX-0043", 51, 12, 23, 33, "globex-lt-carol", "ThinkPad T14", False),
        (44, "INITECH-0044", 52, 13, 24, None, "initech-dt-shared", "ProDesk 400", False),
        (45, "ACME-0045", 53, 11, 21, 31, "acme-mac-alice", "MacBook Pro 14", False),
        (46, "ACME-0046", 51, 11, 21, None, "acme-lt-old", "Latitude 5480", True),
        (47, "GLOBEX-0047", 51, 12, 23, None, "globex-lt-spare", "ThinkPad X1", False),
    )
    for aid, inv, atype, cid, sid, uid, host, model, inactive in rows:
        serial_id = FIELD_SERIAL_RENAMED if atype == ASSETTYPE_MAC else FIELD_SERIAL
        w.assets[aid] = {
            "id": aid,
            "inventory_number": inv,
            "assettype_id": atype,
            "client_id": cid,
            "site_id": sid,
            "user_id": uid,
            "inactive": inactive,
            "values": {FIELD_NAME: host, FIELD_MODEL: model, serial_id: SERIALS[aid]},
        }


SEEDS = {"demo": (seed_reference, seed_demo), "empty": (seed_reference,)}


def build_world(seed: str | None) -> World:
    """A fresh world for ``seed`` ("demo"; None/"empty" = reference data and apps only)."""
    steps = SEEDS.get(seed or "empty")
    if steps is None:
        raise ValueError(f"unknown seed {seed!r}; known: {sorted(SEEDS)}")
    w = World()
    for step in steps:
        step(w)
    return w
