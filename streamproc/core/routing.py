"""Where a ticket is filed in Halo: client, site, requester and linked asset.

The shell performs the Halo lookups (asset by serial, user by reference email) and describes what
it found as :class:`AssetMatch` / :class:`UserMatch`; :func:`route` applies the rules:

1. A serial match files the ticket under the asset's client and site and links the asset; the
   requester is the asset's user (none if the asset has no user).
2. With "Reference Email" enabled, a matched Halo user becomes the requester. When an asset also
   matched, the asset keeps the client/site and stays linked; if the user belongs to a *different*
   client than the asset, the asset wins (hardware identity is more reliable than a free-text
   reference field) and the requester stays the asset's user, with a note.
   Without an asset, the user's client and site are used.
3. Otherwise the company's default client and site. With none configured: ``error`` is set with
   reason ``no_client`` and the shell reports a failed result.

A renamed/removed serial field (``field_missing``) or a failed lookup never blocks the ticket: it
is routed as unmatched and a :class:`RouteWarning` tells the administrator what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from streamproc.contracts import Computer, IntegrationConfig

AssetStatus = Literal["matched", "not_found", "field_missing", "no_serial", "lookup_failed"]
UserStatus = Literal["matched", "not_found", "not_requested", "lookup_failed"]


@dataclass(frozen=True, slots=True)
class AssetMatch:
    """Result of the shell's asset-by-serial lookup (ids set only when ``matched``)."""

    status: AssetStatus
    asset_id: int | None = None
    client_id: int | None = None
    site_id: int | None = None
    user_id: int | None = None
    user_site_id: int | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class UserMatch:
    """Result of the shell's user-by-reference-email lookup (ids set only when ``matched``)."""

    status: UserStatus
    user_id: int | None = None
    site_id: int | None = None
    client_id: int | None = None


@dataclass(frozen=True, slots=True)
class RouteWarning:
    """Something the administrator should fix; the ticket was still filed."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class RouteError:
    """Why no ticket can be filed (``reason`` is a machine word, ``message`` says what to do)."""

    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Route:
    """Where to file the ticket, plus notes (the decision trail) and warnings for the admin."""

    client_id: int | None
    site_id: int | None
    user_id: int | None
    asset_ids: tuple[int, ...]
    notes: tuple[str, ...]
    warnings: tuple[RouteWarning, ...]
    error: RouteError | None = None


def _asset_notes(
    config: IntegrationConfig, computer: Computer, asset: AssetMatch
) -> tuple[list[str], list[RouteWarning]]:
    field, serial = config.serial_field_name, computer.serial_number
    detail = f" ({asset.detail})" if asset.detail else ""
    if asset.status == "no_serial":
        return ["computer has no serial number; asset matching skipped"], []
    if asset.status == "not_found":
        return [f"no Halo asset has {field!r} = {serial!r}"], []
    if asset.status == "field_missing":
        message = (
            f"Serial matching is not working: no Halo asset field named {field!r} was found"
            f"{detail}. Tickets are still created, but under the default client without a linked"
            f" asset. Rename the asset field back to {field!r}, or set the serial field name in"
            " the HaloPSA integration settings."
        )
        return [f"serial field {field!r} missing in Halo"], [
            RouteWarning("serial_matching_broken", message)
        ]
    if asset.status == "lookup_failed":
        message = (
            f"Looking up the Halo asset for serial {serial!r} failed{detail}; the ticket was filed"
            " without a linked asset. Check the integration status if this repeats."
        )
        return ["asset lookup failed"], [RouteWarning("asset_lookup_failed", message)]
    return [f"asset {asset.asset_id} matched serial {serial!r}"], []


def _no_client(notes: list[str], warnings: list[RouteWarning]) -> Route:
    error = RouteError(
        "no_client",
        "No Halo client to file the ticket under: the computer matched no Halo asset and no"
        " default client is configured. Set a default client in the HaloPSA integration"
        " settings.",
    )
    return Route(None, None, None, (), tuple(notes), tuple(warnings), error)


def route(
    config: IntegrationConfig, computer: Computer, asset_match: AssetMatch, user_match: UserMatch
) -> Route:
    """Decide client, site, requester and linked asset for a ticket about ``computer``.

    Returns a :class:`Route`; ``route.error`` (reason ``no_client``) is set when nothing matched
    and no default client is configured. See the module docstring for the precedence rules.
    """
    notes, warnings = _asset_notes(config, computer, asset_match)
    use_user = config.use_reference_email and user_match.status == "matched"
    if config.use_reference_email and not use_user:
        notes.append(f"reference email: no Halo user used ({user_match.status})")
    if asset_match.status == "matched":
        user_id = asset_match.user_id
        if use_user and user_match.client_id in (None, asset_match.client_id):
            user_id = user_match.user_id
            notes.append(f"requester is Halo user {user_id} (reference email)")
        elif use_user:
            notes.append(
                f"reference-email user {user_match.user_id} belongs to client"
                f" {user_match.client_id}, not the asset's client {asset_match.client_id}; kept"
                " the asset's user"
            )
        elif user_id is None:
            notes.append("asset has no user; no specific requester")
        asset_ids = () if asset_match.asset_id is None else (asset_match.asset_id,)
        return Route(
            asset_match.client_id,
            asset_match.site_id,
            user_id,
            asset_ids,
            tuple(notes),
            tuple(warnings),
        )
    if use_user and user_match.client_id is not None:
        notes.append(f"requester is Halo user {user_match.user_id} (reference email)")
        return Route(
            user_match.client_id,
            user_match.site_id,
            user_match.user_id,
            (),
            tuple(notes),
            tuple(warnings),
        )
    if config.default_client_id is None:
        return _no_client(notes, warnings)
    notes.append(f"filed under default client {config.default_client_id}")
    user_id = user_match.user_id if use_user else None
    return Route(
        config.default_client_id,
        config.default_site_id,
        user_id,
        (),
        tuple(notes),
        tuple(warnings),
    )
