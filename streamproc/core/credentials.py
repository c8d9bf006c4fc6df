"""Testing Halo credentials before they are saved (PUT and POST …/integrations/halopsa/test,
the page's save), as a job of the Halo instance's owner (SPEC §9).

The web view cannot call Halo itself: the requests would be spent outside the instance's budget
(another worker owns it). It sends :class:`TestCredentials` with the config it would save (the
secret encrypted, like every job's config) to the owner of that config's instance, which may be
an instance nobody has used yet: the owner is found by the instance key all the same. The owner
answers :class:`CredentialsTested`: the pick-lists Halo offered, or the 422 body naming what is
wrong. The view waits for that answer by the job's id (``engine/answers.py``); nothing keeps it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streamproc.contracts._base import Id


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class TestCredentials(_Data):
    """Authenticate with the job's config, read the pick-lists, probe the read permissions the
    pipeline needs and check the config's defaults and priority matrix against Halo."""

    __test__ = False  # not a pytest class

    kind: Literal["test_credentials"] = "test_credentials"
    company_id: Id
    event_id: Id = Field(description="The test's id: the view waits for the answer by it.")
    client_search: str | None = Field(
        default=None,
        max_length=100,
        description="Part of a client's name: options.clients lists the matches (the page's"
        " search, for Halo instances with more clients than one page shows).",
    )


class CredentialsTested(_Data):
    """The owner's answer to :class:`TestCredentials`: ``options`` when Halo accepted the
    credentials and offers every id the config names, else ``error``, the 422 body."""

    kind: Literal["credentials_tested"] = "credentials_tested"
    event_id: Id
    options: dict[str, Any] | None = Field(
        default=None, description="{ticket_types, priorities, ticket_type_id} as the API gives."
    )
    error: dict[str, Any] | None = Field(
        default=None, description="{error, message, action[, field]}: why the test failed."
    )


def invalid_default(field: str, message: str, action: str) -> dict[str, Any]:
    """The 422 body for a default that Halo does not offer."""
    return {"error": "invalid_default", "field": field, "message": message, "action": action}
