"""Page links: expiry, scope, per-company revocation, tampering; form (CSRF) tokens."""

from __future__ import annotations

import pytest

from streamproc.web.integrations import link_request
from streamproc.web.links import (
    ADMIN,
    Grant,
    check,
    form_token,
    form_token_ok,
    mint,
    new_generation,
    page_path,
)
from streamproc.web.validation import BodyError

KEY = b"l" * 32
NOW = 1_800_000_000
GEN = "gen-1"


def test_a_link_grants_its_scope_until_it_expires():
    token = mint(KEY, "acme", "view", GEN, NOW + 900)
    grant = check(KEY, "acme", token, GEN, NOW)
    assert grant == Grant("view", NOW + 900, token.rsplit(".", 1)[1])
    assert not grant.can_edit
    assert check(KEY, "acme", token, GEN, NOW + 899).scope == "view"
    assert check(KEY, "acme", token, GEN, NOW + 900) == "expired"
    assert check(KEY, "acme", token, GEN, NOW + 10_000) == "expired"
    edit = check(KEY, "acme", mint(KEY, "acme", "edit", GEN, NOW + 60), GEN, NOW)
    assert edit.can_edit


def test_revoking_the_generation_kills_every_link_of_that_company_only():
    acme = mint(KEY, "acme", "edit", GEN, NOW + 900)
    other = mint(KEY, "other", "edit", GEN, NOW + 900)
    new = new_generation()
    assert new != new_generation()
    assert check(KEY, "acme", acme, new, NOW) == "invalid"
    assert isinstance(check(KEY, "other", other, GEN, NOW), Grant)
    assert isinstance(check(KEY, "acme", mint(KEY, "acme", "view", new, NOW + 60), new, NOW), Grant)
    # a config saved before generations existed (None) has links of its own
    assert isinstance(
        check(KEY, "acme", mint(KEY, "acme", "view", None, NOW + 60), None, NOW), Grant
    )
    assert check(KEY, "acme", mint(KEY, "acme", "view", None, NOW + 60), GEN, NOW) == "invalid"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(".view.", ".edit."),  # widen the scope
        lambda t: t.replace(f".{NOW + 900}.", f".{NOW + 90_000}."),  # extend the expiry
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # forge the MAC
        lambda t: t.replace("v1.", "v2."),
        lambda t: t + ".x",
        lambda t: "",
        lambda t: "v1.view.soon.abc",
        lambda t: "v1.admin." + t.split(".", 2)[2],
    ],
)
def test_altered_links_are_invalid(tamper):
    token = mint(KEY, "acme", "view", GEN, NOW + 900)
    assert check(KEY, "acme", tamper(token), GEN, NOW) == "invalid"


def test_links_are_bound_to_company_and_key():
    token = mint(KEY, "acme", "edit", GEN, NOW + 900)
    assert check(KEY, "acme2", token, GEN, NOW) == "invalid"
    assert check(b"x" * 32, "acme", token, GEN, NOW) == "invalid"
    assert check(KEY, "acme", None, GEN, NOW) == "invalid"


def test_form_tokens_are_bound_to_the_grant_and_expire_with_it():
    link = check(KEY, "acme", mint(KEY, "acme", "edit", GEN, NOW + 900), GEN, NOW)
    token = form_token(KEY, "acme", link)
    assert form_token_ok(KEY, "acme", link, token, NOW)
    assert not form_token_ok(KEY, "acme", link, token, NOW + 900)  # expired with its link
    assert not form_token_ok(KEY, "other", link, token, NOW)
    another_link = check(KEY, "acme", mint(KEY, "acme", "edit", GEN, NOW + 901), GEN, NOW)
    assert not form_token_ok(KEY, "acme", another_link, token, NOW)
    admin = Grant("edit", NOW + 900, ADMIN)
    assert not form_token_ok(KEY, "acme", admin, token, NOW)
    assert form_token_ok(KEY, "acme", admin, form_token(KEY, "acme", admin), NOW)
    for bad in (None, "", "x", f"{NOW + 900}.", f"{NOW + 900}.AAAA", token.replace(".", "")):
        assert not form_token_ok(KEY, "acme", link, bad, NOW)


def test_page_path():
    assert page_path("a b/c") == "/companies/a%20b%2Fc/integrations/halopsa"
    assert (
        page_path("acme", "v1.view.1.x") == "/companies/acme/integrations/halopsa?link=v1.view.1.x"
    )


def test_link_requests():
    assert link_request(b"", 900) == ("view", 900)
    assert link_request(b"{}", 900) == ("view", 900)
    assert link_request(b'{"scope": "edit", "ttl_seconds": 60}', 900) == ("edit", 60)
    for raw in (
        b'{"scope": "admin"}',
        b'{"ttl_seconds": 4}',
        b'{"ttl_seconds": 99999999}',
        b'{"ttl_seconds": true}',
        b'{"ttl_seconds": "60"}',
        b"[]",
    ):
        with pytest.raises(BodyError) as info:
            link_request(raw, 900)
        assert info.value.status == 422
