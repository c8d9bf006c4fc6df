"""Issue 18: page links expire, say what they allow (view or edit) and are revoked per company;
the page's switch needs an edit right and its form token, and refuses posts from other sites."""

from __future__ import annotations

import re

from tests.e2e.api_client import api, body, call, wait_configured
from tests.support.worker import wait_for

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def link(worker, company: str, scope: str, ttl: int = 300) -> str:
    reply = call("POST", api(worker, company, "/links"), {"scope": scope, "ttl_seconds": ttl})
    assert reply.status == 201, reply.text
    assert reply.body["scope"] == scope
    return worker.url + reply.body["url"]


def page(url: str, **kwargs):
    return call("GET", url, token=None, **kwargs)


def denied_reason(reply) -> str | None:
    found = re.search(r'data-reason="([a-z_]+)"', reply.text)
    return found.group(1) if found else None


def form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def switch(url: str, token: str | None, enabled: str, **headers: str):
    fields = f"enabled={enabled}" + (f"&csrf={token}" if token is not None else "")
    return call("POST", url, raw=fields.encode(), token=None, headers={**FORM, **headers})


def enabled(worker, company: str) -> bool:
    return call("GET", api(worker, company)).body["config"]["enabled"]


def test_page_links_expire_carry_their_scope_and_are_revoked_per_company(make_worker, halo_url):
    worker = make_worker("w1").start()
    for company in ("acme", "other"):
        assert call("PUT", api(worker, company), body(halo_url)).status == 200
        wait_configured(worker, company)

    # a view link: the page, no form, the expiry shown, security headers
    short = link(worker, "acme", "view", ttl=5)
    shown = page(short)
    assert shown.status == 200, shown.text
    assert 'data-scope="view"' in shown.text
    assert "<form" not in shown.text
    assert "a view link, which expires at" in shown.text
    csp = shown.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert shown.headers["X-Frame-Options"] == "DENY"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    # ... which cannot edit
    refused = switch(short, "1900000000.made-up", "false")
    assert refused.status == 403
    assert denied_reason(refused) == "view_only"

    # an edit link: the switch form; its post needs the form token and the same origin
    edit = link(worker, "acme", "edit")
    html = page(edit).text
    assert 'data-scope="edit"' in html
    token = form_token(html)
    assert switch(edit, None, "false").status == 403
    assert switch(edit, token[:-3] + "AAA", "false").status == 403
    cross = switch(edit, token, "false", Origin="https://evil.example")
    assert (cross.status, denied_reason(cross)) == (403, "form_expired")
    other_edit = link(worker, "other", "edit")
    assert switch(other_edit, token, "false").status == 403  # a token of another company's page
    assert enabled(worker, "acme") is True
    done = switch(edit, token, "false", Origin=worker.url)
    assert done.status == 200  # followed the 303 back to the page
    assert 'data-state="disabled"' in done.text
    assert enabled(worker, "acme") is False
    on = switch(edit, form_token(done.text), "true")  # tests the credentials against Halo first
    assert on.status == 200, on.text
    assert 'data-state="active"' in on.text
    assert enabled(worker, "acme") is True

    # the short link has expired by now (genuine, but too old)
    wait_for(lambda: page(short).status == 401, 10, "the 5 s link to expire", worker)
    assert denied_reason(page(short)) == "expired"

    # revoking acme's links kills every one handed out so far, and only acme's
    other_view = link(worker, "other", "view")
    assert call("DELETE", api(worker, "acme", "/links")).status == 200
    wait_for(lambda: page(edit).status == 401, 30, "acme's links to be revoked", worker)
    assert denied_reason(page(edit)) == "invalid"
    assert page(other_view).status == 200
    assert page(other_edit).status == 200
    fresh = link(worker, "acme", "view")
    assert page(fresh).status == 200

    # no link, a forged one, a link of another company
    assert denied_reason(page(fresh.split("?")[0])) == "missing"
    assert page(fresh[:-4] + "AAAA").status == 401
    assert page(other_view.replace("/other/", "/acme/")).status == 401
