"""Ticket and action rules (no HTTP here): validation, party derivation, defaults, closing.

The rules are the ones real integrations tripped over (reference §2.8, §7): integer-only ids,
client derived from site and site from user, approval-required ticket types, per-SLA priorities,
mandatory fields unless ``_novalidate``, and ``hasbeenclosed`` set by the closed status.
"""

from __future__ import annotations

import re
from typing import Any

from .common import HaloError
from .config import SandboxConfig
from .tenant import now_iso
from .world import Record, World

INT_FIELDS = (
    "id",
    "client_id",
    "site_id",
    "user_id",
    "tickettype_id",
    "priority_id",
    "status_id",
    "sla_id",
    "agent_id",
    "impact",
    "urgency",
    "third_party_id",
    "team_id",
    "parent_id",
    "ticket_id",
    "outcome_id",
    "new_status",
)
APPROVAL_MESSAGE = "CODE:APP03/2 Please select the CAB members to approve"
OUTCOME_REQUIRED = "An Outcome must be entered for this Action"
OUTCOME_FORBIDDEN = "You do not have access to this Action at the moment"
DEFAULT_TICKETTYPE = 1
MANUAL_SOURCE = 2
_INT_TEXT = re.compile(r"^-?\d+$")


def as_int(value: Any, name: str, index: int) -> int:
    """Halo's (.NET) binder takes ints and integer strings; ``95.0`` and ``true`` are rejected."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_TEXT.match(value.strip()):
        return int(value)
    raise HaloError(
        f"The JSON value could not be converted to System.Int32. Path: $[{index}].{name}",
        f"[{index}].{name}",
    )


def coerce(body: Any, index: int) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise HaloError(f"Element {index} is not a valid object.", f"[{index}]")
    out = dict(body)
    for name in INT_FIELDS:
        if out.get(name) is not None:
            out[name] = as_int(out[name], name, index)
    return out


def _id(data: dict[str, Any], name: str) -> int | None:
    """0 and -1 mean "none" in Halo payloads."""
    v = data.get(name)
    return v if v not in (None, 0, -1) else None


def resolve_parties(w: World, data: dict[str, Any], i: int) -> tuple[int, int, int | None]:
    """client/site/user with Halo's derivations: site from user, client from site, main site."""
    user_id, site_id, client_id = _id(data, "user_id"), _id(data, "site_id"), _id(data, "client_id")
    user = w.users.get(user_id) if user_id else None
    if user_id and user is None:
        raise HaloError(f"User {user_id} does not exist.", f"[{i}].user_id")
    if site_id and site_id not in w.sites:
        raise HaloError(f"Site {site_id} does not exist.", f"[{i}].site_id")
    if client_id and client_id not in w.clients:
        raise HaloError(f"Client {client_id} does not exist.", f"[{i}].client_id")
    if not site_id and user is not None:
        site_id = user.get("site_id")
        if site_id not in w.sites:
            raise HaloError("Please select a valid Site for this User.", f"[{i}].site_id")
    if not site_id and client_id:
        site_id = w.clients[client_id].get("main_site_id")
        if site_id not in w.sites:
            raise HaloError(f"Client {client_id} has no main Site.", f"[{i}].site_id")
    if not site_id:
        raise HaloError("Please select a Client.", f"[{i}].client_id")
    site_client = w.sites[site_id]["client_id"]
    if client_id and client_id != site_client:
        raise HaloError(f"Site {site_id} does not belong to Client {client_id}.", f"[{i}].site_id")
    return site_client, site_id, user_id


def resolve_assets(w: World, assets: Any, i: int) -> list[Record]:
    if not isinstance(assets, list):
        raise HaloError("assets must be an array.", f"[{i}].assets")
    out = []
    for j, a in enumerate(assets):
        aid = as_int(a.get("id") if isinstance(a, dict) else a, f"assets[{j}].id", i)
        if aid not in w.assets:
            raise HaloError(f"Asset {aid} does not exist.", f"[{i}].assets[{j}].id")
        out.append(w.asset_summary(w.assets[aid]))
    return out


def apply_status(w: World, cfg: SandboxConfig, t: Record, status_id: int, i: int) -> None:
    """Set a status; the closed status sets hasbeenclosed/dateclosed (re-opening keeps the flag)."""
    if status_id not in w.statuses:
        raise HaloError(f"Status {status_id} does not exist.", f"[{i}].status_id")
    allowed = w.tickettypes.get(t.get("tickettype_id"), {}).get("allowed_status") or []
    if allowed and status_id not in allowed:
        raise HaloError(
            f"Status {status_id} is not allowed for this Ticket Type.", f"[{i}].status_id"
        )
    t["status_id"] = status_id
    if status_id == cfg.closed_status_id:
        t["hasbeenclosed"] = True
        t["dateclosed"] = now_iso()


def _customfields(raw: Any) -> list[Record]:
    out = []
    for cf in raw if isinstance(raw, list) else []:
        if isinstance(cf, dict) and "id" in cf:
            name = cf.get("name") or f"CFField{cf['id']}"
            out.append(
                {
                    "id": cf["id"],
                    "name": name,
                    "value": cf.get("value"),
                    "display": cf.get("display", cf.get("value")),
                }
            )
    return out


def _public(data: dict[str, Any]) -> dict[str, Any]:
    """Posted fields worth storing (control flags like ``_novalidate`` are not data)."""
    return {k: v for k, v in data.items() if not k.startswith("_") and k != "assets"}


def create_ticket(w: World, cfg: SandboxConfig, body: Any, i: int) -> Record:
    data = coerce(body, i)
    if "id" in data and data["id"] not in (None, 0):
        raise HaloError("internal: create called with id")
    tt_id = _id(data, "tickettype_id") or DEFAULT_TICKETTYPE
    tt = w.tickettypes.get(tt_id)
    if tt is None:
        raise HaloError(f"Ticket Type {tt_id} does not exist.", f"[{i}].tickettype_id")
    if tt.get("requires_approval"):
        raise HaloError(APPROVAL_MESSAGE, f"[{i}].tickettype_id")
    if not data.get("_novalidate"):
        for name in tt.get("mandatory_fields", []):
            if not data.get(name):
                raise HaloError(f"Please enter a value for {name}.", f"[{i}].{name}")
    client_id, site_id, user_id = resolve_parties(w, data, i)
    sla_id = _id(data, "sla_id") or tt.get("default_sla")
    if sla_id in (None, -1):
        sla_id = w.sites[site_id].get("sla_id") or 1
    priority_id = _id(data, "priority_id") or tt.get("default_priority")
    if priority_id is not None and w.priority(sla_id, priority_id) is None:
        raise HaloError(
            f"Priority {priority_id} is not valid for SLA {sla_id}.", f"[{i}].priority_id"
        )
    assets = resolve_assets(w, data.get("assets", []), i)
    now = now_iso()
    ticket: Record = {
        "summary": "",
        "details": "",
        "details_html": "",
        "agent_id": 0,
        "team": "",
        "category_1": "",
        "impact": 0,
        "urgency": 0,
        "source": MANUAL_SOURCE,
        "supplier_reference": "",
        "third_party_id": 0,
        "dateoccurred": now,
        "closure_note": "",
        "closure_time": 0,
        "merged_into_id": 0,
        "deleted": False,
        **_public(data),
        "id": w.next_ticket_id,
        "client_id": client_id,
        "site_id": site_id,
        "user_id": user_id or 0,
        "tickettype_id": tt_id,
        "sla_id": sla_id,
        "priority_id": priority_id,
        "assets": assets,
        "customfields": _customfields(data.get("customfields")),
        "datecreated": now,
        "last_update": now,
        "lastactiondate": now,
        "dateclosed": None,
        "hasbeenclosed": False,
        "status_id": None,
    }
    apply_status(w, cfg, ticket, _id(data, "status_id") or tt.get("initial_status") or 1, i)
    w.next_ticket_id += 1
    w.tickets[ticket["id"]] = ticket
    return ticket


def update_ticket(w: World, cfg: SandboxConfig, body: Any, i: int) -> Record:
    data = coerce(body, i)
    t = w.tickets.get(data["id"])
    if t is None:
        raise HaloError(f"Ticket {data['id']} not found.", f"[{i}].id", cfg.unknown_update_status)
    if _id(data, "tickettype_id") and data["tickettype_id"] not in w.tickettypes:
        raise HaloError(
            f"Ticket Type {data['tickettype_id']} does not exist.", f"[{i}].tickettype_id"
        )
    if any(k in data for k in PARTY_KEYS):
        data["client_id"], data["site_id"], uid = resolve_parties(w, _moved(t, data), i)
        data["user_id"] = uid or 0
    if "assets" in data:
        t["assets"] = resolve_assets(w, data["assets"], i)
    if "customfields" in data:
        t["customfields"] = _customfields(data["customfields"])
    status = data.pop("status_id", None)
    t.update({k: v for k, v in _public(data).items() if k != "customfields"})
    if status is not None and status != t.get("status_id"):
        apply_status(w, cfg, t, status, i)
    t["last_update"] = now_iso()
    return t


PARTY_KEYS = ("client_id", "site_id", "user_id")


def _moved(t: Record, data: dict[str, Any]) -> dict[str, Any]:
    """Parties after an update: what changed invalidates what was derived from the old value."""
    merged = {k: t.get(k) for k in PARTY_KEYS}
    if "user_id" in data:
        merged.update(site_id=None, client_id=None)
    if "site_id" in data:
        merged["client_id"] = None
    if "client_id" in data:
        merged.update(site_id=None, user_id=None)
    merged.update({k: data[k] for k in PARTY_KEYS if k in data})
    return merged


def create_action(w: World, cfg: SandboxConfig, client_id: str, body: Any, i: int) -> Record:
    data = coerce(body, i)
    ticket_id = data.get("ticket_id")
    if not ticket_id or ticket_id not in w.tickets:
        raise HaloError(f"Ticket {ticket_id} not found.", f"[{i}].ticket_id")
    outcome = _outcome(w, data, i)
    forbidden = set(cfg.forbidden_outcome_ids)
    forbidden |= set(w.apps.get(client_id, {}).get("forbidden_outcome_ids", []))
    if outcome["id"] in forbidden:
        raise HaloError(OUTCOME_FORBIDDEN, f"[{i}].outcome_id")
    t = w.tickets[ticket_id]
    now = now_iso()
    action = {
        "note": "",
        "note_html": "",
        "hiddenfromuser": False,
        "sendemail": False,
        "who": "API Agent",
        "new_status": 0,
        **_public(data),
        "id": w.next_action_id,
        "ticket_id": ticket_id,
        "outcome": outcome["outcome"],
        "outcome_id": outcome["id"],
        "datetime": data.get("datetime") or now,
    }
    if data.get("new_status"):
        apply_status(w, cfg, t, data["new_status"], i)
        if data["new_status"] == cfg.closed_status_id:
            t["closure_note"] = action["note"] or action["note_html"]
    w.next_action_id += 1
    w.actions[action["id"]] = action
    t["lastactiondate"] = t["last_update"] = now
    return action


def _outcome(w: World, data: dict[str, Any], i: int) -> Record:
    if data.get("outcome_id"):
        found = w.outcomes.get(data["outcome_id"])
    elif isinstance(data.get("outcome"), str) and data["outcome"].strip():
        name = data["outcome"].strip().lower()
        found = next((o for o in w.outcomes.values() if o["outcome"].lower() == name), None)
    else:
        raise HaloError(OUTCOME_REQUIRED, f"[{i}].outcome")
    if found is None:
        raise HaloError(OUTCOME_FORBIDDEN, f"[{i}].outcome")
    return found
