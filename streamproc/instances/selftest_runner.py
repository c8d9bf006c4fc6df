"""The self-test's Halo calls (SPEC §8), run by the instance owner's executor like any other
job: within the instance's budget, never from a web view. Which steps run, which are skipped
and the fix of a failed one are decided in ``core/selftest.py``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from streamproc.core.selftest import (
    TEST_SUMMARY,
    RunSelfTest,
    SelfTestReport,
    SelfTestStep,
    blocked_by,
    failed,
    passed,
    plan,
    priority_ids,
    report,
    skipped,
)
from streamproc.halopsa import HaloCredentials, HaloError, NewTicket
from streamproc.secretbox import SecretUnreadableError

if TYPE_CHECKING:
    from streamproc.contracts import IntegrationConfig
    from streamproc.halopsa import HaloClient

# A serial and an address nothing has, new per run so that the lookup caches cannot answer:
# the searches themselves are tested.
TEST_SERIAL = "streamproc-self-test-{}"
TEST_EMAIL = "streamproc-self-test-{}@example.invalid"


class _Failed(Exception):
    """A step's check failed without a Halo error (``reason``: see ``core.selftest.fix_for``)."""

    def __init__(self, reason: str, detail: str, available: str = "", missing: str = "") -> None:
        super().__init__(detail)
        self.reason, self.detail, self.available, self.missing = reason, detail, available, missing


class SelfTestRun:
    """One run: the steps in order, each timed; the test ticket's id between them."""

    def __init__(self, halo: HaloClient, creds: HaloCredentials, config: IntegrationConfig) -> None:
        self.halo, self.creds, self.config = halo, creds, config
        self.ticket_type = None
        self.ticket_id: int | None = None
        self.test_id = ""

    async def run(self, action: RunSelfTest) -> SelfTestReport:
        done: dict[str, SelfTestStep] = {}
        self.test_id = action.event_id
        for name in plan(self.config, action.write, action.purpose):
            because = blocked_by(name, done)
            if because is not None:
                done[name] = skipped(name, because)
                continue
            step: Callable[[], Awaitable[str]] = getattr(self, f"_{name}")
            start = time.monotonic()
            try:
                detail = await step()
            except _Failed as exc:
                ms = _ms(start)
                done[name] = failed(
                    name, ms, exc.reason, exc.detail, self.config,
                    available=exc.available, missing=exc.missing,
                )  # fmt: skip
            except HaloError as exc:
                done[name] = failed(name, _ms(start), exc.reason, str(exc), self.config)
            else:
                done[name] = passed(name, _ms(start), detail)
        at = datetime.now(UTC)
        return report(action.event_id, action.write, list(done.values()), at, action.purpose)

    async def _token(self) -> str:
        self.halo.tokens.forget(self.creds)  # a fresh token: the credentials as saved now
        await self.halo.tokens.token(self.creds)
        return "Halo issued an access token for the client id and secret"

    async def _asset_search(self) -> str:
        field = self.config.serial_field_name
        await self.halo.find_asset_by_serial(self.creds, TEST_SERIAL.format(self.test_id), field)
        return f"searched assets by the field {field!r}"

    async def _user_lookup(self) -> str:
        await self.halo.find_user_by_email(self.creds, TEST_EMAIL.format(self.test_id))
        return "searched users by email address (reference email)"

    async def _ticket_type(self) -> str:
        wanted = self.config.default_tickettype_id
        types = await self.halo.list_ticket_types(self.creds)
        self.ticket_type = next((t for t in types if t.id == wanted), None)
        if self.ticket_type is None:
            have = ", ".join(f"{t.id} {t.name}" for t in types) or "none"
            raise _Failed("missing", f"Halo has no ticket type {wanted}", available=have)
        return f"ticket type {wanted} is {self.ticket_type.name!r}"

    async def _priority(self) -> str:
        if self.ticket_type is not None:
            found = await self.halo.priorities_for_ticket_type(self.creds, self.ticket_type)
        else:
            found = await self.halo.list_priorities(self.creds)
        names = {p.priority_id: p.name for p in found}
        wanted = priority_ids(self.config)
        missing = [i for i in wanted if i not in names]
        if missing:
            have = ", ".join(f"{i} {n}" for i, n in sorted(names.items())) or "none"
            listed = ", ".join(map(str, missing))
            raise _Failed(
                "missing", f"Halo has no priority {listed}", available=have, missing=listed
            )
        return "priorities " + ", ".join(f"{i} {names[i]!r}" for i in wanted) + " exist"

    async def _default_client(self) -> str:
        wanted = self.config.default_client_id
        if wanted is None:
            raise _Failed("not_configured", "no default client is configured")
        client = await self.halo.get_client(self.creds, wanted)
        if client.get("inactive"):
            raise _Failed("missing", f"client {wanted} is inactive in Halo")
        return f"client {wanted} is {client.get('name')!r}"

    async def _default_site(self) -> str:
        wanted = self.config.default_site_id
        assert wanted is not None, "planned only when configured"
        site = await self.halo.get_site(self.creds, wanted)
        owner = site.get("client_id")
        if owner is not None and int(owner) != self.config.default_client_id:
            raise _Failed("wrong_client", f"site {wanted} belongs to client {owner}")
        return f"site {wanted} is {site.get('name')!r}"

    async def _create_ticket(self) -> str:
        config = self.config
        ticket = NewTicket(
            summary=TEST_SUMMARY,
            details_html="<p>Created by streamproc's self-test to check the integration; it"
            " closes it right away. Nothing to do.</p>",
            client_id=config.default_client_id,
            site_id=config.default_site_id,
            tickettype_id=config.default_tickettype_id,
            priority_id=config.default_priority_id,
            supplier_reference=f"streamproc-self-test-{self.test_id}",  # findable by the run
        )
        created = await self.halo.create_ticket(self.creds, ticket)
        self.ticket_id = created.id
        return f"created test ticket {created.id} under client {config.default_client_id}"

    async def _read_back(self) -> str:
        assert self.ticket_id is not None
        ticket = await self.halo.get_ticket(self.creds, self.ticket_id)
        if ticket.summary != TEST_SUMMARY:
            raise _Failed("missing", f"ticket {self.ticket_id} reads back as {ticket.summary!r}")
        return f"read test ticket {self.ticket_id} back"

    async def _close_ticket(self) -> str:
        assert self.ticket_id is not None
        status = self.config.close_status_id
        note = "streamproc self-test: closed."
        await self.halo.close_ticket(self.creds, self.ticket_id, note=note, status_id=status)
        ticket = await self.halo.get_ticket(self.creds, self.ticket_id)
        if ticket.status_id != status:
            detail = f"ticket {self.ticket_id} has status {ticket.status_id} after the close"
            raise _Failed("missing", detail)
        return f"closed test ticket {self.ticket_id} with status {status}"

    async def _close_status(self) -> str:
        wanted = self.config.close_status_id
        statuses = await self.halo.list_statuses(self.creds)
        found = next((st for st in statuses if st.id == wanted), None)
        if found is None:
            have = ", ".join(f"{st.id} {st.name}" for st in statuses) or "none"
            raise _Failed("missing", f"Halo has no status {wanted}", available=have)
        return f"status {wanted} is {found.name!r}"

    async def _serial_field(self) -> str:
        wanted = self.config.serial_field_name
        names = await self.halo.asset_field_names(self.creds)
        if not names:
            return "no asset carries fields yet: nothing to compare"
        if wanted.strip().casefold() not in {n.strip().casefold() for n in names}:
            seen = ", ".join(repr(n) for n in sorted(names))
            raise _Failed("missing", f"no asset has a field {wanted!r}", available=seen)
        return f"assets carry the field {wanted!r}"


async def run_self_test(
    halo: HaloClient, creds: Callable[[], HaloCredentials], action: RunSelfTest,
    config: IntegrationConfig,
) -> SelfTestReport:  # fmt: skip
    """The report of ``action``; a secret that cannot be decrypted fails the token step."""
    try:
        credentials = creds()
    except SecretUnreadableError as exc:
        step = failed("token", 0, "secret_unreadable", str(exc), config)
        rest = plan(config, action.write, action.purpose)[1:]
        steps = [step, *(skipped(n, "token") for n in rest)]
        return report(action.event_id, action.write, steps, datetime.now(UTC), action.purpose)
    return await SelfTestRun(halo, credentials, config).run(action)


def _ms(start: float) -> int:
    return round((time.monotonic() - start) * 1000)
