"""Test a HaloPSA integration live and prepare the config to save (no faust; Halo client injected).

Every failure is a :class:`BodyError` with status 422 and a body naming the reason:
``credentials_rejected``, ``scope_invalid``, ``tenant_unknown``, ``permission_denied``,
``halo_unavailable``, ``rate_limited``, ``halo_error`` (from the Halo client), ``invalid_default``
(a chosen ticket type or priority Halo does not offer) or ``validation_failed`` (field errors).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from pydantic import SecretStr, ValidationError

from streamproc.contracts import IntegrationConfig
from streamproc.halopsa import HaloCredentials, HaloError, HaloOptions, Priority
from streamproc.halopsa.fields import Status
from streamproc.secretbox import SecretBox, SecretUnreadableError
from streamproc.web import security
from streamproc.web.addresses import AddressPolicy
from streamproc.web.links import new_generation
from streamproc.web.shaping import build_config, halo_error_body, invalid_default
from streamproc.web.validation import (
    BodyError,
    IntegrationBody,
    Resolver,
    check_resolved,
    field_errors,
    resolve,
    validate_integration,
    validation_failed,
)

PROBE_DOMAIN = "streamproc-permission-check.invalid"


class HaloLike(Protocol):
    """The HaloClient calls used here (a fake in unit tests)."""

    async def test_credentials(
        self, creds: HaloCredentials, tickettype_id: int | None = None
    ) -> HaloOptions: ...

    async def list_priorities(
        self, creds: HaloCredentials, sla_id: int | None = None
    ) -> list[Priority]: ...

    async def find_user_by_email(self, creds: HaloCredentials, email: str) -> object: ...

    async def list_statuses(self, creds: HaloCredentials) -> list[Status]: ...

    async def find_asset_by_serial(
        self, creds: HaloCredentials, serial: str, field_name: str | None = None
    ) -> object: ...


def _secret_required(message: str) -> BodyError:
    return validation_failed([{"field": "client_secret", "message": message}])


def resolve_secret(body: IntegrationBody, stored: IntegrationConfig | None, box: SecretBox) -> str:
    """The clear client secret: from the body, else the stored one for the same application.

    The stored secret is only reused when base URL, client id and tenant are unchanged, so a
    changed base URL can never make us send the saved secret to another host.
    """
    if body.client_secret is not None:
        return body.client_secret
    if stored is None:
        raise _secret_required("required: no integration is saved for this company yet")
    same_app = (
        stored.base_url.rstrip("/").lower() == body.base_url.lower()
        and stored.client_id == body.client_id
        and (stored.tenant or None) == body.tenant
    )
    if not same_app:
        raise _secret_required("required when the base URL, client ID or tenant changes")
    try:
        return box.decrypt(stored.client_secret_encrypted).get_secret_value()
    except SecretUnreadableError:
        raise _secret_required("the saved secret cannot be decrypted: enter it again") from None


def credentials(body: IntegrationBody, secret: str) -> HaloCredentials:
    """HaloCredentials for a validated body (422 if the client still refuses the URL)."""
    try:
        return HaloCredentials(
            base_url=body.base_url,
            client_id=body.client_id,
            client_secret=SecretStr(secret),
            tenant=body.tenant,
        )
    except ValueError:
        raise validation_failed(
            [{"field": "base_url", "message": "must be a URL such as https://x.halopsa.com"}]
        ) from None


async def test_integration(
    halo: HaloLike,
    body: IntegrationBody,
    secret: str,
    *,
    policy: AddressPolicy,
    resolver: Resolver = resolve,  # noqa: PT028 (not a test: tests Halo credentials)
) -> HaloOptions:
    """Check where the base URL resolves, then authenticate, read the pick-lists, probe the read
    permissions we need and check the defaults."""
    await check_resolved(body.base_url, policy, resolver)
    creds = credentials(body, secret)
    try:
        options = await halo.test_credentials(creds, tickettype_id=body.default_tickettype_id)
    except HaloError as err:
        if body.default_tickettype_id is not None and err.reason == "not_found" and not err.status:
            raise BodyError(
                422,
                invalid_default(
                    "default_tickettype_id",
                    f"Halo has no ticket type {body.default_tickettype_id}.",
                    "Choose a ticket type from the list Halo returned (options.ticket_types).",
                ),
            ) from None
        raise BodyError(422, halo_error_body(err)) from None
    try:
        probe = uuid.uuid4().hex
        await halo.find_user_by_email(creds, f"{probe}@{PROBE_DOMAIN}")  # read:customers
        await halo.find_asset_by_serial(creds, f"SPCHECK{probe}", body.serial_field_name)
        if body.default_priority_id is not None:
            typed = body.default_tickettype_id is not None
            pool = options.priorities if typed else await halo.list_priorities(creds)
            if body.default_priority_id not in {p.priority_id for p in pool}:
                raise BodyError(
                    422,
                    invalid_default(
                        "default_priority_id",
                        f"Priority {body.default_priority_id} is not offered for this ticket "
                        "type's SLA.",
                        "Choose a priority from the list Halo returned (options.priorities).",
                    ),
                )
        await check_policies(halo, creds, body, options)
    except HaloError as err:
        raise BodyError(422, halo_error_body(err)) from None
    return options


async def check_policies(
    halo: HaloLike, creds: HaloCredentials, body: IntegrationBody, options: HaloOptions
) -> None:
    """422 naming the first priority matrix entry Halo would refuse (a ticket type Halo does not
    have, or a priority, its own or the default, not offered by its ticket type's SLA), or a
    "won't fix" status Halo does not have."""
    if body.no_reopen_status_ids:
        known = {status.id for status in await halo.list_statuses(creds)}
        for index, status_id in enumerate(body.no_reopen_status_ids):
            if status_id not in known:
                raise BodyError(
                    422,
                    invalid_default(
                        f"no_reopen_status_ids[{index}]",
                        f"Halo has no ticket status {status_id}.",
                        "Choose the closed statuses that mean 'won't fix' from Halo's statuses.",
                    ),
                )
    types = {t.id: t for t in options.ticket_types}
    pools: dict[int | None, set[int]] = {}
    for index, entry in enumerate(body.priority_matrix):
        where = f"priority_matrix[{index}]"
        type_id = entry.tickettype_id or body.default_tickettype_id
        if entry.tickettype_id is not None and entry.tickettype_id not in types:
            raise BodyError(
                422,
                invalid_default(
                    f"{where}.tickettype_id",
                    f"Entry {index + 1} of the priority matrix names ticket type"
                    f" {entry.tickettype_id}, which Halo does not have.",
                    "Choose a ticket type from the list Halo returned (options.ticket_types).",
                ),
            )
        priority = entry.priority_id or body.default_priority_id
        if priority is None:
            continue
        sla = types[type_id].sla_id if type_id in types else None
        if sla not in pools:
            pools[sla] = {p.priority_id for p in await halo.list_priorities(creds, sla)}
        if priority not in pools[sla]:
            field = "priority_id" if entry.priority_id else "tickettype_id"
            raise BodyError(
                422,
                invalid_default(
                    f"{where}.{field}",
                    f"Entry {index + 1} of the priority matrix gives priority {priority}, which"
                    f" ticket type {type_id}'s SLA does not offer.",
                    "Choose a priority of that ticket type's SLA (Halo's priorities are per"
                    " SLA), or another ticket type.",
                ),
            )


@dataclass(frozen=True)
class Saved:
    """A config ready to publish, and the webhook password to show once (None when kept)."""

    config: IntegrationConfig
    webhook_password: str | None


def prepare_config(
    company_id: str,
    body: IntegrationBody,
    secret: str,
    stored: IntegrationConfig | None,
    box: SecretBox,
    *,
    webhook_key: bytes,
    upgraded_digest: str | None = None,
    rotate_webhook: bool = False,
    now: datetime | None = None,
) -> Saved:
    """Encrypt the secret and keep (or create) the webhook credentials, link generation and
    maintenance windows (those have their own endpoint).

    Webhook credentials are kept unless asked to rotate or unless their digest was made with
    another secret key (it could never match again). A legacy scrypt hash is replaced by
    ``upgraded_digest``, the keyed digest of the same password, when a delivery proved it here.
    """
    password: str | None = None
    kept = stored.webhook_password_hash if stored and stored.webhook_username else None
    usable = security.is_legacy(kept) or security.digest_current(webhook_key, kept)
    if stored and stored.webhook_username and kept and usable and not rotate_webhook:
        username = stored.webhook_username
        password_hash = upgraded_digest if security.is_legacy(kept) and upgraded_digest else kept
    else:
        password = security.new_password()
        username = security.webhook_username(company_id)
        password_hash = security.password_digest(webhook_key, password)
    try:
        config = build_config(
            company_id,
            body,
            client_secret_encrypted=box.encrypt(secret),
            webhook_username=username,
            webhook_password_hash=password_hash,
            link_generation=stored.link_generation if stored else new_generation(),
            now=now or datetime.now(UTC),
        )
    except ValidationError as exc:
        raise validation_failed(field_errors(exc)) from None
    if stored is not None and stored.maintenance_windows:
        config = config.model_copy(update={"maintenance_windows": stored.maintenance_windows})
    return Saved(config, password)


def body_of(config: IntegrationConfig, policy: AddressPolicy) -> IntegrationBody:
    """The API body that would save ``config`` again (secret omitted: the stored one is kept)."""
    fields = config.model_dump(mode="json", include=set(IntegrationBody.model_fields))
    return validate_integration(fields, policy)
