"""Test a HaloPSA integration live and prepare the config to save (no faust; the owner of the
Halo instance is asked through an injected ``ask``, ``web/owner_ask.py``).

Every failure is a :class:`BodyError` with status 422 and a body naming the reason:
``credentials_rejected``, ``scope_invalid``, ``tenant_unknown``, ``permission_denied``,
``halo_unavailable``, ``rate_limited``, ``halo_error`` (from the Halo client), ``invalid_default``
(a chosen ticket type or priority Halo does not offer) or ``validation_failed`` (field errors);
or 503/504 when the owner could not be asked or did not answer in time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr, ValidationError

from streamproc.contracts import IntegrationConfig
from streamproc.core.credentials import CredentialsTested
from streamproc.halopsa import HaloCredentials
from streamproc.secretbox import SecretBox, SecretUnreadableError
from streamproc.web import security
from streamproc.web.addresses import AddressPolicy
from streamproc.web.links import new_generation
from streamproc.web.shaping import build_config
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


Ask = Callable[[IntegrationConfig, str | None], Awaitable[CredentialsTested]]  # owner_ask.py


async def test_integration(
    ask: Ask,
    company_id: str,
    body: IntegrationBody,
    secret: str,
    box: SecretBox,
    *,
    policy: AddressPolicy,
    resolver: Resolver = resolve,  # noqa: PT028 (not a test: tests Halo credentials)
    client_search: str | None = None,  # noqa: PT028
) -> dict[str, Any]:
    """Check where the base URL resolves, then have the owner of the Halo instance test the
    credentials and ids of the config (``instances/credentials_check.py``): the pick-lists
    Halo offers (``options``), or the 422 naming what is wrong."""
    await check_resolved(body.base_url, policy, resolver)
    credentials(body, secret)  # 422 when the Halo client would refuse the URL
    answer = await ask(tested_config(company_id, body, box.encrypt(secret)), client_search)
    if answer.error is not None:
        raise BodyError(422, answer.error)
    return answer.options or {}


def tested_config(company_id: str, body: IntegrationBody, encrypted: str) -> IntegrationConfig:
    """The config a credential test job carries (its instance routes the job to the owner);
    no webhook credentials: it is never saved."""
    try:
        return IntegrationConfig(
            company_id=company_id,
            client_secret_encrypted=encrypted,
            updated_at=datetime.now(UTC),
            **body.model_dump(exclude={"client_secret"}),
        )
    except ValidationError as exc:
        raise validation_failed(field_errors(exc)) from None


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
