"""Per-company HaloPSA integration configuration (``halopsa.integration-config``, compacted).

The topic is keyed by company id; a tombstone (null value) means the integration was removed.
It is written and read by streamproc itself. Unknown fields are ignored so that an older worker
can still read a record written by a newer one during a rolling deploy.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from streamproc.contracts._base import HaloId, Id, InputModel, Name, Timestamp
from streamproc.contracts.modes import OperatingSettings
from streamproc.contracts.policies import TicketPolicies
from streamproc.contracts.windows import MaintenanceSettings

Url = Annotated[
    str, StringConstraints(min_length=8, max_length=2000, pattern=r"^https?://[^\s/?#]+[^\s]*$")
]


def instance_key(base_url: str, tenant: str | None) -> str:
    """The Halo instance a base URL and tenant name: budgets, create order, caches are its.

    Halo counts its rate limit per instance (SPEC §9), whichever API application calls it.
    """
    base = base_url.strip().rstrip("/")
    if base.lower().endswith("/api"):
        base = base[:-4]
    return f"{base.lower()}|{(tenant or '').strip()}"


def ticket_url(base_url: str, ticket_id: int) -> str:
    """The agent view of a ticket on a Halo instance (``{base}/tickets?id=N``, as Halo links it)."""
    base = base_url.strip().rstrip("/")
    if base.lower().endswith("/api"):
        base = base[:-4]
    return f"{base}/tickets?id={int(ticket_id)}"


class IntegrationConfig(TicketPolicies, MaintenanceSettings, OperatingSettings, InputModel):
    """How one company's alerts become tickets in its HaloPSA instance (policies: SPEC §7;
    maintenance windows and dry run: SPEC §8)."""

    company_id: Id = Field(description="Watchman company id; the Kafka key.")
    enabled: bool = Field(description="Off switch: when false no ticket is created or closed.")
    base_url: Url = Field(description="HaloPSA base URL, e.g. https://yourcompany.halopsa.com.")
    client_id: Id = Field(description="HaloPSA API application Client ID.")
    client_secret_encrypted: Annotated[str, StringConstraints(min_length=1, max_length=10_000)] = (
        Field(description="Client Secret encrypted with the service key (opaque Fernet token).")
    )
    tenant: Name | None = Field(default=None, description="Halo tenant (hosted instances only).")
    default_tickettype_id: HaloId | None = Field(default=None, description="Ticket type id.")
    default_priority_id: HaloId | None = Field(default=None, description="Priority id.")
    default_client_id: HaloId | None = Field(
        default=None, description="Halo client for tickets whose computer matched no asset."
    )
    default_site_id: HaloId | None = Field(
        default=None, description="Halo site for tickets filed under the default client."
    )
    use_reference_email: bool = Field(
        default=False,
        description="Set the requester to the Halo user whose email is the reference email.",
    )
    serial_field_name: Name = Field(
        default="Serial Number", description="Name of the Halo asset field holding the serial."
    )
    close_status_id: HaloId = Field(default=9, description="Halo status id used to close.")
    webhook_username: Name | None = Field(default=None, description="Basic-auth user for webhook.")
    webhook_password_hash: Name | None = Field(
        default=None, description="Hash of the webhook Basic-auth password."
    )
    link_generation: Name | None = Field(
        default=None,
        description="Random value every page link of the company is signed with; replacing it"
        " revokes them all.",
    )
    updated_at: Timestamp = Field(description="When this configuration was saved.")

    @property
    def instance(self) -> str:
        """The Halo instance this company's tickets go to (see :func:`instance_key`)."""
        return instance_key(self.base_url, self.tenant)

    def ticket_url(self, ticket_id: int) -> str:
        """The agent view URL of ``ticket_id`` on this company's instance."""
        return ticket_url(self.base_url, ticket_id)
