"""The page grant: what lets the settings form use the admin API for one company, briefly."""

from __future__ import annotations

from types import SimpleNamespace

from streamproc.web.page_api import ACTIONS, GRANT, GRANT_TTL, delegated, grant_value

KEY = b"k" * 32
PATH = "/api/v1/companies/acme/integrations/halopsa"


def request(value: str, method: str = "PUT", path: str = PATH) -> SimpleNamespace:
    return SimpleNamespace(headers={GRANT: value}, method=method, path=path)


def test_a_grant_opens_only_its_company_method_and_path_until_it_expires():
    value = grant_value(KEY, "acme", "PUT", PATH, now=1000)
    assert delegated(KEY, request(value), "acme", now=1000)
    assert not delegated(KEY, request(value), "other", now=1000)
    assert not delegated(KEY, request(value, method="DELETE"), "acme", now=1000)
    assert not delegated(KEY, request(value, path=PATH + "/links"), "acme", now=1000)
    assert not delegated(KEY, request(value), "acme", now=1000 + GRANT_TTL)
    assert not delegated(b"x" * 32, request(value), "acme", now=1000)
    assert not delegated(KEY, request(""), "acme", now=1000)
    assert not delegated(KEY, request("99999999999 forged"), "acme", now=1000)


def test_the_form_cannot_reach_links_removal_or_webhook_rotation():
    assert all(not path.startswith("/links") for _, path in ACTIONS.values())
    assert ("DELETE", "") not in ACTIONS.values()
