"""In-memory data of one simulated Halo instance and how records are rendered.

Records are stored in a normalised form (a user knows its site, a site its client) and names are
resolved when rendering, so an admin edit (e.g. renaming a site or an asset-type field) is reflected
everywhere at once — exactly the situation the integration must cope with.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass
class World:
    """All entities of one tenant, keyed by id (apps keyed by client_id)."""

    clients: dict[int, Record] = field(default_factory=dict)
    sites: dict[int, Record] = field(default_factory=dict)
    users: dict[int, Record] = field(default_factory=dict)
    assettypes: dict[int, Record] = field(default_factory=dict)
    assets: dict[int, Record] = field(default_factory=dict)
    slas: dict[int, Record] = field(default_factory=dict)
    priorities: list[Record] = field(default_factory=list)
    statuses: dict[int, Record] = field(default_factory=dict)
    tickettypes: dict[int, Record] = field(default_factory=dict)
    outcomes: dict[int, Record] = field(default_factory=dict)
    tickets: dict[int, Record] = field(default_factory=dict)
    actions: dict[int, Record] = field(default_factory=dict)
    apps: dict[str, Record] = field(default_factory=dict)
    next_ticket_id: int = 1001
    next_action_id: int = 5001

    # --- collections editable through /_sandbox/records/{kind} -------------------------------
    KINDS = ("clients", "sites", "users", "assettypes", "assets", "tickettypes", "outcomes", "apps")

    def upsert(self, kind: str, record: Record) -> Record:
        """Insert or merge a raw record; lets tests shape the world without a seed change."""
        table: dict[Any, Record] = getattr(self, kind)
        key = record["client_id"] if kind == "apps" else int(record["id"])
        merged = {**table.get(key, {}), **copy.deepcopy(record)}
        table[key] = merged
        return merged

    # --- lookups ------------------------------------------------------------------------------
    def site_client_id(self, site_id: int | None) -> int | None:
        site = self.sites.get(site_id) if site_id is not None else None
        return site["client_id"] if site else None

    def name_of(self, table: dict[int, Record], key: Any, attr: str = "name") -> str | None:
        rec = table.get(key) if key is not None else None
        return rec.get(attr) if rec else None

    def priority(self, sla_id: int | None, priority_id: int | None) -> Record | None:
        for p in self.priorities:
            if p["slaid"] == sla_id and p["priorityid"] == priority_id:
                return p
        return None

    def sla_priorities(self, sla_id: int | None) -> list[Record]:
        return [p for p in self.priorities if p["slaid"] == sla_id]

    # --- renderers ----------------------------------------------------------------------------
    def client_view(self, c: Record) -> Record:
        return {
            **c,
            "toplevel_name": c.get("toplevel_name", "Top Level"),
            "main_site_name": self.name_of(self.sites, c.get("main_site_id")),
        }

    def site_view(self, s: Record) -> Record:
        client_name = self.name_of(self.clients, s["client_id"])
        return {**s, "client_name": client_name, "clientsite_name": f"{client_name}/{s['name']}"}

    def user_view(self, u: Record) -> Record:
        client_id = self.site_client_id(u.get("site_id"))
        return {
            **u,
            "site_name": self.name_of(self.sites, u.get("site_id")),
            "client_id": client_id,
            "client_name": self.name_of(self.clients, client_id),
        }

    def user_summary(self, u: Record) -> Record:
        v = self.user_view(u)
        keys = ("id", "name", "emailaddress", "site_id", "site_name", "client_id", "client_name")
        return {k: v.get(k) for k in keys}

    def asset_fields(self, a: Record) -> list[Record]:
        atype = self.assettypes.get(a["assettype_id"], {"fields": []})
        values = a.get("values", {})
        out = []
        for f in atype["fields"]:
            val = values.get(f["id"], values.get(str(f["id"])))
            if val is not None:
                out.append({"id": f["id"], "name": f["name"], "value": val, "display": val})
        return out

    def asset_keys(self, a: Record) -> dict[str, Any]:
        """key_field/key_field2/key_field3 are the values of the type's promoted fields."""
        atype = self.assettypes.get(a["assettype_id"], {"fields": []})
        values = a.get("values", {})
        out: dict[str, Any] = {"key_field": "", "key_field2": "", "key_field3": ""}
        for f in atype["fields"]:
            slot = {1: "key_field", 2: "key_field2", 3: "key_field3"}.get(f.get("key") or 0)
            if slot:
                out[slot] = values.get(f["id"], values.get(str(f["id"]), ""))
        return out

    def asset_row(self, a: Record, with_fields: bool = False) -> Record:
        user = self.users.get(a.get("user_id")) if a.get("user_id") else None
        row = {
            "id": a["id"],
            "inventory_number": a.get("inventory_number", ""),
            **self.asset_keys(a),
            "client_id": a.get("client_id"),
            "client_name": self.name_of(self.clients, a.get("client_id")),
            "site_id": a.get("site_id"),
            "site_name": self.name_of(self.sites, a.get("site_id")),
            "assettype_id": a["assettype_id"],
            "assettype_name": self.name_of(self.assettypes, a["assettype_id"]),
            "inactive": bool(a.get("inactive", False)),
            "username": user["name"] if user else "",
            "status_id": a.get("status_id", 1),
            "third_party_id": a.get("third_party_id", ""),
        }
        if with_fields:
            row["fields"] = self.asset_fields(a)
            row["customfields"] = []
        return row

    def asset_full(self, a: Record) -> Record:
        user = self.users.get(a.get("user_id")) if a.get("user_id") else None
        return {
            **self.asset_row(a, with_fields=True),
            "users": [self.user_summary(user)] if user else [],
            "user_email": user["emailaddress"] if user else "",
            "notes": a.get("notes", ""),
        }

    def asset_summary(self, a: Record) -> Record:
        row = self.asset_row(a)
        keys = ("id", "inventory_number", "key_field", "assettype_id", "assettype_name")
        return {
            **{k: row[k] for k in keys},
            "client_id": row["client_id"],
            "site_id": row["site_id"],
        }

    def ticket_view(self, t: Record) -> Record:
        user = self.users.get(t.get("user_id")) if t.get("user_id") else None
        prio = self.priority(t.get("sla_id"), t.get("priority_id"))
        return {
            **t,
            "client_name": self.name_of(self.clients, t.get("client_id")),
            "site_name": self.name_of(self.sites, t.get("site_id")),
            "user_name": user["name"] if user else t.get("user_name", ""),
            "user_email": user["emailaddress"] if user else "",
            "status_name": self.name_of(self.statuses, t.get("status_id")),
            "tickettype_name": self.name_of(self.tickettypes, t.get("tickettype_id")),
            "priority": {"name": prio["name"], "id": prio["priorityid"]} if prio else None,
        }
