"""HaloPSA client: the only code that speaks HTTP to Halo.

`HaloClient` is shared per process; every call takes the tenant's `HaloCredentials`. Halo field
names and record types live in `streamproc.halopsa.fields`; errors in `streamproc.halopsa.errors`.
"""

from streamproc.halopsa.client import HaloClient
from streamproc.halopsa.config import HaloClientConfig, HaloCredentials
from streamproc.halopsa.errors import (
    HaloAuthError,
    HaloError,
    HaloNotFoundError,
    HaloPermissionError,
    HaloRateLimitedError,
    HaloScopeError,
    HaloTenantError,
    HaloUnavailableError,
    HaloValidationError,
)
from streamproc.halopsa.fields import Asset, Priority, Status, Ticket, TicketType, User
from streamproc.halopsa.models import AssetMatch, HaloOptions, NewTicket, TicketState
from streamproc.halopsa.stats import RequestObservation, RequestStats

__all__ = [
    "Asset",
    "AssetMatch",
    "HaloAuthError",
    "HaloClient",
    "HaloClientConfig",
    "HaloCredentials",
    "HaloError",
    "HaloNotFoundError",
    "HaloOptions",
    "HaloPermissionError",
    "HaloRateLimitedError",
    "HaloScopeError",
    "HaloTenantError",
    "HaloUnavailableError",
    "HaloValidationError",
    "NewTicket",
    "Priority",
    "RequestObservation",
    "RequestStats",
    "Status",
    "Ticket",
    "TicketState",
    "TicketType",
    "User",
]
