"""Perform the core's Halo actions against the company's HaloPSA and report one outcome each.

Called only by the owner of the Halo instance (``instances/owner.py``): this is where the
pipeline's work meets Halo. Expected failures become outcome values (never exceptions),
classified by the Halo client's error tree, so the core can decide what follows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from streamproc.contracts import AlertEvent, IntegrationConfig, ManualWarning
from streamproc.contracts.outputs import Would
from streamproc.core import (
    AddOccurrenceNote,
    AssetMatch,
    CloseTicket,
    HaloReportsClosed,
    NoteAdded,
    NoteFailed,
    OpenTicket,
    OpenWarningTicket,
    PreviewFailed,
    PreviewTicket,
    PreviewWarningTicket,
    ReopenTicket,
    ResolvePendingTicket,
    Route,
    TicketAlreadyClosed,
    TicketClosedByUs,
    TicketCloseFailed,
    TicketCreated,
    TicketCreateFailed,
    TicketLeftOpen,
    TicketPreviewed,
    UserMatch,
    WarningTicketCreated,
    WarningTicketFailed,
    alert_details_html,
    alert_summary,
    route,
    warning_details_html,
    warning_summary,
)
from streamproc.core.credentials import CredentialsTested, TestCredentials
from streamproc.core.policies import (
    CLOSE_NOTE,
    ActionFact,
    TicketClass,
    clear_note,
    close_verdict,
    may_reopen,
    occurrence_note,
    reopen_note,
    ticket_class,
    touches,
)
from streamproc.core.selftest import RunSelfTest, SelfTestReport
from streamproc.core.state import Baseline
from streamproc.halopsa import (
    HaloAuthError,
    HaloCredentials,
    HaloError,
    HaloNotFoundError,
    HaloPermissionError,
    NewTicket,
    Ticket,
    TicketState,
)
from streamproc.instances.credentials_check import run_credentials_test
from streamproc.instances.selftest_runner import run_self_test
from streamproc.secretbox import SecretUnreadableError

if TYPE_CHECKING:
    from streamproc.contracts import Computer
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)


class _RouteFailedError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class HaloExecutor:
    """Turns OpenTicket / ResolvePendingTicket / CloseTicket / OpenWarningTicket into outcomes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def credentials(self, config: IntegrationConfig) -> HaloCredentials:
        """The company's Halo credentials, secret decrypted (raises SecretUnreadableError)."""
        return HaloCredentials(
            base_url=config.base_url,
            client_id=config.client_id,
            client_secret=self.runtime.secrets.decrypt(config.client_secret_encrypted),
            tenant=config.tenant,
        )

    async def open_ticket(
        self, action: OpenTicket | ResolvePendingTicket, config: IntegrationConfig
    ) -> TicketCreated | TicketCreateFailed:
        """Route, render and create the alert's ticket (or adopt the one a crash left behind)."""
        source: AlertEvent = action.source
        try:
            creds = self.credentials(config)
            if isinstance(action, ResolvePendingTicket):
                found = await self._find(creds, action.intent_key)
                if found is not None:
                    return TicketCreated(
                        event_id=action.event_id,
                        intent_key=action.intent_key,
                        halo_ticket_id=found.id,
                        recovered=True,
                        baseline=_baseline(found),
                    )
            where = await self._route(creds, config, source.computer)
            klass = ticket_class(config, source.alert.severity, source.alert.name)
            ticket = await self._create(
                creds,
                klass,
                where,
                alert_summary(source),
                alert_details_html(source),
                action.intent_key,
            )
        except (HaloError, SecretUnreadableError, _RouteFailedError) as exc:
            return _create_failed(action, exc)
        return TicketCreated(
            event_id=action.event_id,
            intent_key=action.intent_key,
            halo_ticket_id=ticket.id,
            baseline=_baseline(ticket),
            matrix_entry=klass.entry,
            warnings=where.warnings,
        )

    async def preview(
        self, action: PreviewTicket | PreviewWarningTicket, config: IntegrationConfig
    ) -> TicketPreviewed | PreviewFailed:
        """Dry run: the reads of a create (or of a reopen) and no write (SPEC §8)."""
        ids: dict[str, str] = {"event_id": action.event_id}
        if isinstance(action, PreviewWarningTicket):
            ids |= {"company_id": action.company_id, "warning_id": action.warning_id}
        try:
            creds = self.credentials(config)
            reopen = isinstance(action, PreviewTicket) and action.would == "reopen"
            if reopen and action.halo_ticket_id is not None:
                try:
                    old: Ticket | None = await self.runtime.halo.get_ticket(
                        creds, action.halo_ticket_id
                    )
                except HaloNotFoundError:
                    old = None
                if old is not None and may_reopen(
                    old.status_id,
                    old.deleted,
                    (old.merged_into_id or 0) > 0,
                    action.no_reopen_status_ids,
                ):
                    would = Would(action="reopen")
                    return TicketPreviewed(**ids, would=would, halo_ticket_id=old.id)
            source = action.source
            asset = await self._asset(creds, config, source.computer)
            user = await self._user(creds, config, source.computer)
            where = route(config, source.computer, asset, user)
            if where.error is not None:
                raise _RouteFailedError(where.error.reason, where.error.message)
            if isinstance(source, ManualWarning):  # as open_warning_ticket files it
                klass = TicketClass(config.default_priority_id, config.default_tickettype_id)
            else:
                klass = ticket_class(config, source.alert.severity, source.alert.name)
        except (HaloError, SecretUnreadableError, _RouteFailedError) as exc:
            reason, message, retriable, _ = _failure(exc)
            return PreviewFailed(**ids, reason=reason, message=message, retriable=retriable)
        if asset.status == "matched":
            routed_by = "asset"
        elif user.status == "matched" and user.client_id is not None:  # route()'s rule 2
            routed_by = "reference_email"
        else:
            routed_by = "default_client"
        would = Would(
            action="create",
            client_id=where.client_id,
            site_id=where.site_id,
            asset_id=where.asset_ids[0] if where.asset_ids else None,
            user_id=where.user_id,
            priority_id=klass.priority_id,
            tickettype_id=klass.tickettype_id,
            routed_by=routed_by,
        )
        return TicketPreviewed(
            **ids, would=would, matrix_entry=klass.entry, warnings=where.warnings
        )

    async def open_warning_ticket(
        self, action: OpenWarningTicket, config: IntegrationConfig
    ) -> WarningTicketCreated | WarningTicketFailed:
        """Create the manual warning's ticket unless one with its intent key exists already."""
        warning: ManualWarning = action.source
        ids = {
            "event_id": action.event_id,
            "company_id": action.company_id,
            "warning_id": action.warning_id,
        }
        try:
            creds = self.credentials(config)
            found = await self._find(creds, action.intent_key)
            if found is not None:
                return WarningTicketCreated(**ids, halo_ticket_id=found.id, recovered=True)
            where = await self._route(creds, config, warning.computer)
            ticket = await self._create(
                creds,
                TicketClass(config.default_priority_id, config.default_tickettype_id),
                where,
                warning_summary(warning),
                warning_details_html(warning),
                action.intent_key,
            )
        except (HaloError, SecretUnreadableError, _RouteFailedError) as exc:
            reason, message, retriable, _ = _failure(exc)
            return WarningTicketFailed(**ids, reason=reason, message=message, retriable=retriable)
        return WarningTicketCreated(**ids, halo_ticket_id=ticket.id, warnings=where.warnings)

    async def reopen_ticket(
        self, action: ReopenTicket, config: IntegrationConfig
    ) -> TicketCreated | TicketCreateFailed:
        """Reopen the alert's last ticket with a note, or create one when Halo's record of it
        forbids a reopen (the core's :func:`~streamproc.core.policies.may_reopen`)."""
        halo, ticket_id = self.runtime.halo, action.halo_ticket_id
        fresh = ResolvePendingTicket(
            **action.model_dump(include=set(OpenTicket.model_fields) - {"kind"})
        )
        try:
            creds = self.credentials(config)
            try:
                ticket: Ticket | None = await halo.get_ticket(creds, ticket_id)
            except HaloNotFoundError:
                ticket = None
            if ticket is None or not may_reopen(
                ticket.status_id,
                ticket.deleted,
                (ticket.merged_into_id or 0) > 0,
                action.no_reopen_status_ids,
            ):
                return await self.open_ticket(fresh, config)
            note = reopen_note(action.source.occurred_at)
            actions = await halo.list_actions(creds, ticket_id)
            last = max((a.id for a in actions), default=0)
            if not any(a.note == note for a in actions):  # else a replayed job noted it
                last = max(last, await halo.add_note(creds, ticket_id, note) or 0)
            status = ticket.status_id
            if ticket.is_closed(frozenset({9, config.close_status_id})):
                status = halo.config.reopen_status_id
                await halo.reopen_ticket(creds, ticket_id, status)
        except (HaloError, SecretUnreadableError) as exc:
            return _create_failed(action, exc)
        return TicketCreated(
            event_id=action.event_id,
            intent_key=action.intent_key,
            halo_ticket_id=ticket_id,
            reopened=True,
            baseline=Baseline(status_id=status, agent_id=ticket.agent_id, last_action_id=last),
        )

    async def add_occurrence_note(
        self, action: AddOccurrenceNote, config: IntegrationConfig
    ) -> NoteAdded | NoteFailed:
        """Note the repeat raises on the open ticket (once: a replayed job finds its note)."""
        ids = {"event_id": action.event_id, "halo_ticket_id": action.halo_ticket_id}
        note = occurrence_note(action.occurrences, action.raised_at)
        try:
            creds = self.credentials(config)
            actions = await self.runtime.halo.list_actions(creds, action.halo_ticket_id)
            if not any(a.note == note for a in actions):
                await self.runtime.halo.add_note(creds, action.halo_ticket_id, note)
        except (HaloError, SecretUnreadableError) as exc:
            reason, message, retriable, _ = _failure(exc)
            return NoteFailed(**ids, reason=reason, message=message, retriable=retriable)
        return NoteAdded(**ids)

    async def close_ticket(
        self, action: CloseTicket, config: IntegrationConfig
    ) -> TicketClosedByUs | TicketAlreadyClosed | TicketLeftOpen | TicketCloseFailed:
        """Close the ticket if Halo still reports it open and the close policy lets us (else a
        private note); record it when already closed."""
        ids = {"event_id": action.event_id, "halo_ticket_id": action.halo_ticket_id}
        halo = self.runtime.halo
        try:
            creds = self.credentials(config)
            try:
                ticket = await halo.get_ticket(creds, action.halo_ticket_id)
            except HaloNotFoundError:
                return TicketAlreadyClosed(**ids)
            if closed_how(ticket, config.close_status_id) is not None:
                return TicketAlreadyClosed(**ids)
            if action.policy != "always":
                actions = await halo.list_actions(creds, action.halo_ticket_id)
                facts = [ActionFact(a.id, a.note, a.who, a.time_taken) for a in actions]
                touched = touches(action.baseline, ticket.status_id, ticket.agent_id, facts)
                verdict = close_verdict(action.policy, touched)
                if verdict != "close":
                    note = clear_note(action.cleared_at, verdict, touched)
                    if not any(a.note == note for a in actions):  # a replayed job: noted already
                        await halo.add_note(creds, action.halo_ticket_id, note)
                    return TicketLeftOpen(**ids, reason=verdict, touched=touched)
            await halo.close_ticket(
                creds, action.halo_ticket_id, note=CLOSE_NOTE, status_id=config.close_status_id
            )
        except (HaloError, SecretUnreadableError) as exc:
            reason, message, retriable, _ = _failure(exc)
            return TicketCloseFailed(**ids, reason=reason, message=message, retriable=retriable)
        return TicketClosedByUs(**ids)

    async def self_test(self, action: RunSelfTest, config: IntegrationConfig) -> SelfTestReport:
        """The self-test's steps against the company's Halo (SPEC §8)."""
        return await run_self_test(
            self.runtime.halo, lambda: self.credentials(config), action, config
        )

    async def test_credentials(
        self, action: TestCredentials, config: IntegrationConfig
    ) -> CredentialsTested:
        """Test the credentials and ids of a config about to be saved (``core/credentials``)."""
        return await run_credentials_test(
            self.runtime.halo, lambda: self.credentials(config), action, config
        )

    async def observe(
        self, config: IntegrationConfig, ticket_id: int, event_id: str
    ) -> HaloReportsClosed | None:
        """Re-read one ticket (a webhook hint); an outcome when Halo reports it closed."""
        creds = self.credentials(config)
        try:
            ticket = await self.runtime.halo.get_ticket(creds, ticket_id)
        except HaloNotFoundError:
            return HaloReportsClosed(event_id=event_id, halo_ticket_id=ticket_id, how="deleted")
        how = closed_how(ticket, config.close_status_id)
        if how is None:
            return None
        return HaloReportsClosed(event_id=event_id, halo_ticket_id=ticket_id, how=how)

    async def closed_tickets(
        self, config: IntegrationConfig, ticket_ids: list[int]
    ) -> dict[int, str]:
        """Which of ``ticket_ids`` Halo no longer has open: ticket → ``closed`` / ``deleted``.

        One request per 100 tickets (the closure sweep).
        """
        states = await self.runtime.halo.ticket_states(self.credentials(config), ticket_ids)
        return {
            ticket: "deleted" if state is TicketState.MISSING else "closed"
            for ticket, state in states.items()
            if state is not TicketState.OPEN
        }

    async def _find(self, creds: HaloCredentials, intent_key: str) -> Ticket | None:
        found = await self.runtime.halo.find_ticket_by_supplier_reference(creds, intent_key)
        return found if found is not None and found.supplier_reference == intent_key else None

    async def _route(
        self, creds: HaloCredentials, config: IntegrationConfig, computer: Computer
    ) -> Route:
        asset = await self._asset(creds, config, computer)
        user = await self._user(creds, config, computer)
        where = route(config, computer, asset, user)
        if where.error is not None:
            raise _RouteFailedError(where.error.reason, where.error.message)
        return where

    async def _asset(
        self, creds: HaloCredentials, config: IntegrationConfig, computer: Computer
    ) -> AssetMatch:
        serial = (computer.serial_number or "").strip()
        if not serial:
            return AssetMatch("no_serial")
        try:
            found = await self.runtime.halo.find_asset_by_serial(
                creds, serial, config.serial_field_name
            )
        except (HaloAuthError, HaloPermissionError):
            raise
        except HaloError as exc:
            return AssetMatch("lookup_failed", detail=str(exc))
        if found.status == "field_missing":
            seen = ", ".join(repr(name) for name in found.field_names_seen) or "none"
            return AssetMatch("field_missing", detail=f"asset fields found: {seen}")
        if found.status != "matched" or found.asset is None:
            return AssetMatch("not_found")
        asset = found.asset
        user = asset.users[0] if asset.users else None
        return AssetMatch(
            "matched",
            asset_id=asset.id,
            client_id=asset.client_id,
            site_id=asset.site_id,
            user_id=user.id if user else None,
            user_site_id=user.site_id if user else None,
            detail=f"several assets carry serial {serial}: {found.duplicates}"
            if found.ambiguous
            else None,
        )

    async def _user(
        self, creds: HaloCredentials, config: IntegrationConfig, computer: Computer
    ) -> UserMatch:
        email = (computer.reference.email or "").strip() if computer.reference else ""
        if not (config.use_reference_email and email):
            return UserMatch("not_requested")
        try:
            user = await self.runtime.halo.find_user_by_email(creds, email)
        except (HaloAuthError, HaloPermissionError):
            raise
        except HaloError:
            return UserMatch("lookup_failed")
        if user is None:
            return UserMatch("not_found")
        return UserMatch("matched", user_id=user.id, site_id=user.site_id, client_id=user.client_id)

    async def _create(
        self,
        creds: HaloCredentials,
        klass: TicketClass,
        where: Route,
        summary: str,
        details_html: str,
        intent_key: str,
    ) -> Ticket:
        ticket = NewTicket(
            summary=summary,
            details_html=details_html,
            client_id=where.client_id,
            site_id=where.site_id,
            user_id=where.user_id,
            tickettype_id=klass.tickettype_id,
            priority_id=klass.priority_id,
            asset_ids=where.asset_ids,
            supplier_reference=intent_key,
        )
        return await self.runtime.halo.create_ticket(creds, ticket)


def _baseline(ticket: Ticket) -> Baseline:
    """A new ticket as we leave it: later differences are a technician's touches."""
    return Baseline(status_id=ticket.status_id, agent_id=ticket.agent_id)


def closed_how(ticket: Ticket, closed_status_id: int = 9) -> str | None:
    """``closed`` / ``deleted`` / ``merged`` when Halo no longer has the ticket open, else None.

    ``closed_status_id`` is the company's configured closed status (Halo's default is 9).
    """
    if not ticket.is_closed(frozenset({9, closed_status_id})):
        return None
    if ticket.deleted:
        return "deleted"
    if (ticket.merged_into_id or 0) > 0:
        return "merged"
    return "closed"


def _create_failed(
    action: OpenTicket | ResolvePendingTicket | ReopenTicket, exc: Exception
) -> TicketCreateFailed:
    reason, message, retriable, ambiguous = _failure(exc)
    return TicketCreateFailed(
        event_id=action.event_id,
        intent_key=action.intent_key,
        reason=reason,
        message=message,
        retriable=retriable,
        ambiguous=ambiguous,
    )


def _failure(exc: Exception) -> tuple[str, str, bool, bool]:
    """(reason, message, retriable, ambiguous) for a failed Halo action."""
    if isinstance(exc, HaloError):
        log.warning("halo call failed: %s (%s)", exc.reason, exc)
        # str(exc) already names the administrator's action
        return exc.reason, str(exc), exc.retriable, bool(getattr(exc, "ambiguous", False))
    if isinstance(exc, _RouteFailedError):
        return exc.reason, exc.message, False, False
    return "secret_unreadable", str(exc), False, False
