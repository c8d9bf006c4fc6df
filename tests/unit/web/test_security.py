"""Webhook passwords: keyed digests (fast), legacy scrypt hashes (checked off the loop), Basic."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from streamproc.web.legacy_hash import BusyError, LegacyVerifier, scrypt_ok
from streamproc.web.security import (
    digest_current,
    digest_ok,
    is_legacy,
    new_password,
    parse_basic,
    password_digest,
    user_ok,
    webhook_username,
)
from tests.support.legacy_hash import scrypt_hash

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def test_digest_verifies_fast_and_depends_on_the_key():
    password = new_password()
    assert len(password) >= 32
    stored = password_digest(KEY, password)
    assert stored.startswith("hmac-sha256$")
    assert password not in stored
    assert digest_ok(KEY, password, stored)
    assert not digest_ok(KEY, password + "x", stored)
    assert not digest_ok(OTHER_KEY, password, stored)
    assert digest_current(KEY, stored)
    assert not digest_current(OTHER_KEY, stored)
    started = time.perf_counter()
    for _ in range(1000):
        digest_ok(KEY, password, stored)
    assert time.perf_counter() - started < 0.5  # scrypt took ~48 ms per check


@pytest.mark.parametrize(
    "stored",
    [None, "", "plain", "hmac-sha256$x", "hmac-sha256$$AA==", "hmac-sha256$abcd$!!!", "scrypt$1"],
)
def test_malformed_digests_never_verify(stored):
    assert not digest_ok(KEY, "anything", stored)


def test_legacy_hashes_are_recognised_and_still_verify():
    stored = scrypt_hash("pw-1", n=2**4)
    assert is_legacy(stored)
    assert not is_legacy(password_digest(KEY, "pw-1"))
    assert not is_legacy(None)
    assert scrypt_ok("pw-1", stored)
    assert not scrypt_ok("pw-2", stored)
    assert not digest_ok(KEY, "pw-1", stored)  # never taken for a keyed digest


@pytest.mark.parametrize(
    "stored",
    [
        "md5$1$2$3$4$5",
        "scrypt$x$8$1$AA==$AA==",
        "scrypt$2$8$1$!!$AA==",
        "scrypt$1073741824$8$1$AA==$AA==",
    ],
)
def test_malformed_legacy_hashes_never_verify(stored):
    assert not scrypt_ok("anything", stored)


async def test_legacy_checks_run_off_the_event_loop():
    """Eight real-cost scrypt checks while the loop keeps ticking every few milliseconds."""
    verifier = LegacyVerifier(KEY, max_waiting=8)
    stored = scrypt_hash("right")
    worst, ticks, ticking = 0.0, 0, True

    async def ticker() -> None:
        nonlocal worst, ticks
        while ticking:
            before = time.perf_counter()
            await asyncio.sleep(0.002)
            worst = max(worst, time.perf_counter() - before)
            ticks += 1

    tick = asyncio.create_task(ticker())
    results = await asyncio.gather(*(verifier.verify(f"wrong-{n}", stored) for n in range(8)))
    ticking = False
    await tick
    verifier.close()
    assert results == [False] * 8
    # On the loop, each check would hold it ~48 ms: about 8 ticks in all, each >= 48 ms. Off the
    # loop it ticks every few ms throughout (a loaded machine may still delay a tick or two).
    assert ticks > 40, f"the loop ticked {ticks} times in 8 scrypt checks"
    assert worst < 0.2, f"the loop stalled {worst * 1000:.0f} ms"


async def test_legacy_queue_is_bounded_and_a_verified_password_is_remembered():
    verifier = LegacyVerifier(KEY, max_waiting=1)
    stored = scrypt_hash("right")
    first = asyncio.create_task(verifier.verify("wrong", stored))
    await asyncio.sleep(0)
    with pytest.raises(BusyError):
        await verifier.verify("wrong-again", stored)
    assert await first is False
    assert verifier.upgraded(stored) is None
    assert await verifier.verify("right", stored) is True
    upgraded = verifier.upgraded(stored)
    assert upgraded is not None
    assert digest_ok(KEY, "right", upgraded)
    started = time.perf_counter()
    assert await verifier.verify("right", stored) is True  # no scrypt any more
    assert await verifier.verify("wrong", stored) is False
    assert time.perf_counter() - started < 0.02
    verifier.close()


def test_parse_basic():
    def header(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    assert parse_basic(header("halo-acme", "p:w")) == ("halo-acme", "p:w")
    assert parse_basic("basic " + base64.b64encode(b"u:").decode()) == ("u", "")
    for bad in (
        None,
        "",
        "Bearer x",
        "Basic !!!",
        "Basic " + base64.b64encode(b"nocolon").decode(),
    ):
        assert parse_basic(bad) is None


def test_user_ok():
    assert webhook_username("acme") == "halo-acme"
    assert user_ok("halo-acme", "halo-acme")
    assert not user_ok("halo-other", "halo-acme")
    assert not user_ok("", "")
    assert not user_ok("halo-acme", None)
