"""Runtime settings of the sandbox.

Real Halo tenants differ (rate limits, error body shapes, whether ``Retry-After`` is sent), so every
behaviour the reference marks "(cfg)" is a field here.  It is a pydantic model so that
``POST /_sandbox/config`` can validate a partial update the same way the constructor does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ErrorShape = Literal["text", "classname", "modelstate"]


class SandboxConfig(BaseModel):
    """Knobs of one simulated Halo instance (each tenant gets its own copy)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    rate_limit: int = Field(300, ge=1, description="requests per rolling window")
    rate_window: float = Field(300.0, gt=0, description="rolling window length, seconds")
    rate_limit_per: Literal["instance", "client"] = Field(
        "instance",
        description="what the limit counts: every request to the instance (as Halo does), or"
        " each API application's own",
    )
    create_seconds: float = Field(
        0.0, ge=0, description="how long a ticket create takes (overlaps happen in it)"
    )
    overlapping_creates: Literal["fail", "allow"] = Field(
        "fail",
        description="a create arriving while another runs fails (Halo numbers tickets with a"
        " race: halopsa-api.md §2.8)",
    )
    retry_after: bool = Field(False, description="send Retry-After on 429 (unconfirmed)")
    token_lifetime: float = Field(3600.0, gt=0, description="seconds until a token expires")
    error_shape: ErrorShape = Field("text", description="shape of 400 bodies")
    closed_status_id: int = 9
    default_count: int = Field(50, ge=1, description="cap on list results when not paginating")
    tickets_max_page_size: int = 100
    tickets_page_size_policy: Literal["error", "clamp"] = "error"
    create_status: int = 201
    update_status: int = 200
    forbidden_outcome_ids: list[int] = Field(default_factory=list)
    tenant_id: str | None = Field(None, description="tenant id reported by authinfo and checked")
    enforce_scopes: bool = True
    deleted_ticket_404: bool = Field(False, description="GET of a deleted ticket: 404 vs object")
    unknown_update_status: Literal[400, 404] = 404

    def rate_limit_message(self) -> str:
        """Halo's observed 429 text, with our numbers (default gives the exact real string)."""
        if self.rate_window % 60 == 0:
            window = f"{int(self.rate_window // 60)} minute"
        else:
            window = f"{self.rate_window:g} second"
        return f"Rate Limit Reached - {self.rate_limit} Requests per rolling {window} window"
