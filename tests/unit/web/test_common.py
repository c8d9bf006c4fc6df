"""The view guard: known errors become their JSON, anything else a bare 500."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from streamproc.web.common import guarded
from streamproc.web.validation import BodyError


class FakeView:
    def json(self, value, *, status=200, headers=None):
        return (status, value)


REQUEST = SimpleNamespace(method="PUT")


async def test_body_errors_pass_through():
    @guarded
    async def handler(view, request):
        raise BodyError(422, {"error": "validation_failed", "fields": []})

    assert await handler(FakeView(), REQUEST) == (422, {"error": "validation_failed", "fields": []})


async def test_unexpected_errors_are_500_without_details(caplog):
    @guarded
    async def handler(view, request):
        secret = "".join(["hun", "ter2"])
        raise RuntimeError(f"client_secret={secret} leaked")

    with caplog.at_level(logging.ERROR, logger="streamproc.web"):
        assert await handler(FakeView(), REQUEST) == (500, {"error": "internal_error"})
    assert "RuntimeError" in caplog.text
    assert "hunter2" not in caplog.text
