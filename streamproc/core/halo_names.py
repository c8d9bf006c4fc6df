"""Halo's names for the ids a company's integration uses, kept in its status as ``halo_names``
(pure), so the page can show "Incident (1)" instead of a bare id without asking Halo.

A credential test (the page's Test, every save, the switch) learns them from the pick-lists the
owner read (``instances/credentials_check.py``); the view sends them as an observation command
``{company_id, halo_names, at}`` on the company's partition, where the pipeline merges them
(only the company's worker writes its status). Shape: ``{ticket_types, priorities, clients,
sites, statuses: {"<id>": name}, at}``; an id nobody named stays bare on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KINDS = ("ticket_types", "priorities", "clients", "sites", "statuses")
CAP = 200  # names kept per kind (Halo's lists of types, priorities and statuses are short)


def _names(rows: Any, keep: set[int] | None = None) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in rows if isinstance(rows, list) else ():
        if not (isinstance(row, Mapping) and isinstance(row.get("id"), int) and row.get("name")):
            continue
        if keep is None or row["id"] in keep:
            found[str(row["id"])] = str(row["name"])
    return found


def learned(options: Mapping[str, Any], client_id: int | None, site_id: int | None) -> dict:
    """The names a credential test's ``options`` give: every ticket type, priority and status,
    and of the clients and sites only the default ones (a client list may be a search)."""
    return {
        "ticket_types": _names(options.get("ticket_types")),
        "priorities": _names(options.get("priorities")),
        "statuses": _names(options.get("statuses")),
        "clients": _names(options.get("clients"), {client_id} if client_id else set()),
        "sites": _names(options.get("sites"), {site_id} if site_id else set()),
    }


def with_names(status: Mapping[str, Any], names: Mapping[str, Any], at: str) -> dict[str, Any]:
    """``status`` with ``names`` merged into its ``halo_names`` (a newer name wins; at most
    :data:`CAP` per kind, the latest learned kept)."""
    old = status.get("halo_names") if isinstance(status.get("halo_names"), Mapping) else {}
    merged: dict[str, Any] = {"at": at}
    for kind in KINDS:
        before = old.get(kind) if isinstance(old.get(kind), Mapping) else {}
        new = names.get(kind) if isinstance(names.get(kind), Mapping) else {}
        both = {k: v for k, v in before.items() if k not in new}
        both.update({str(k): str(v) for k, v in new.items()})
        merged[kind] = dict(list(both.items())[-CAP:])
    return {**status, "halo_names": merged}


def name_of(names: Any, kind: str, value: Any) -> str | None:
    """Halo's name for ``value`` of ``kind``, or None when unknown."""
    if value is None or not isinstance(names, Mapping):
        return None
    known = names.get(kind)
    return known.get(str(value)) if isinstance(known, Mapping) else None
