"""Admin token rotation: the previous token works beside the new one until its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from streamproc.settings import Settings
from streamproc.web.auth import accepted_tokens, bearer_ok

KEY = Fernet.generate_key().decode()
END = datetime(2026, 12, 2, 9, tzinfo=UTC)


def settings(**overrides: object) -> Settings:
    fields: dict[str, object] = {"admin_token": SecretStr("new-token"), "secret_key": KEY}
    return Settings(**{**fields, **overrides})


def test_the_current_token_only():
    s = settings()
    assert bearer_ok(s, "Bearer new-token")
    assert bearer_ok(s, "bearer  new-token ")
    for bad in (None, "", "Bearer", "Bearer old-token", "Basic new-token", "new-token"):
        assert not bearer_ok(s, bad)


def test_previous_token_works_until_its_end_then_stops():
    s = settings(admin_token_previous=SecretStr("old-token"), admin_token_previous_until=END)
    before, after = END - timedelta(seconds=1), END
    assert bearer_ok(s, "Bearer old-token", now=before)
    assert bearer_ok(s, "Bearer new-token", now=before)
    assert not bearer_ok(s, "Bearer old-token", now=after)
    assert bearer_ok(s, "Bearer new-token", now=after)
    assert not bearer_ok(s, "Bearer other", now=before)
    assert len(accepted_tokens(s, before)) == 2
    assert len(accepted_tokens(s, after)) == 1


def test_previous_token_needs_an_end_with_a_time_zone():
    with pytest.raises(ValueError, match="STREAMPROC_ADMIN_TOKEN_PREVIOUS_UNTIL must be set"):
        settings(admin_token_previous=SecretStr("old-token"))
    with pytest.raises(ValueError, match="needs a time zone"):
        settings(
            admin_token_previous=SecretStr("old-token"),
            admin_token_previous_until=datetime(2026, 12, 2, 9),
        )
    assert "old-token" not in repr(
        settings(admin_token_previous=SecretStr("old-token"), admin_token_previous_until=END)
    )
