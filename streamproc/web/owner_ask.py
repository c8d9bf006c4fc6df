"""Ask the owner of a Halo instance to test credentials, and wait for its answer (SPEC §9).

Views never call Halo: a credential test (PUT and POST …/integrations/halopsa/test, the page's
switch) is a :class:`TestCredentials` job on the jobs topic, keyed by the instance of the config
being tested, so its requests are spent in that instance's budget by the one worker that owns
it, even for an instance nobody has used yet. The answer comes back by the job's id
(``engine/answers.py``): directly when this worker owns the instance, else on the replies topic
to the company's lane, which runs here. The view waits at most ``ASK_WAIT`` seconds: an owner
with a long queue (its budget spent by a storm) answers later than a person should wait.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from streamproc.core.credentials import CredentialsTested, TestCredentials
from streamproc.core.halo_names import learned
from streamproc.core.jobs import HaloJob
from streamproc.topology import HALO_JOBS, TICKET_OBSERVATIONS
from streamproc.web.validation import BodyError

if TYPE_CHECKING:
    from streamproc.contracts import IntegrationConfig
    from streamproc.runtime import Runtime
    from streamproc.web.integration_service import Ask

log = logging.getLogger("streamproc.web")
ASK_WAIT = 25.0  # seconds a view waits for the owner's answer


def asker(runtime: Runtime, wait: float = ASK_WAIT) -> Ask:
    """``ask(config)``: the owner's :class:`CredentialsTested` for ``config``, or a 503/504."""
    jobs = runtime.topic(HALO_JOBS).get_topic_name()
    observations = runtime.topic(TICKET_OBSERVATIONS)

    async def ask(config: IntegrationConfig, client_search: str | None = None) -> CredentialsTested:
        action = TestCredentials(
            company_id=config.company_id, event_id=uuid.uuid4().hex, client_search=client_search
        )
        job = HaloJob.of(config, action, datetime.now(UTC))
        with runtime.answers.expect(job.job_id) as answer:
            try:
                key, value = config.instance.encode(), job.model_dump_json().encode()
                await runtime.outbox.append(jobs, key, value)
            except Exception as exc:  # Kafka refused or is unreachable
                log.warning("credential test of %r not sent: %s", config.company_id, exc)
                raise BodyError(503, _unsent()) from None
            try:
                tested = await asyncio.wait_for(answer, wait)
            except TimeoutError:
                raise BodyError(504, _late(wait)) from None
        if tested.options:
            await remember(config, tested.options)
        return tested

    async def remember(config: IntegrationConfig, options: dict) -> None:
        """Send the names the test learned to the company's lane (``core/halo_names.py``): the
        page shows them beside the ids; losing them only leaves the ids bare."""
        names = learned(options, config.default_client_id, config.default_site_id)
        command = {"company_id": config.company_id, "halo_names": names, "at": _now()}
        try:
            await observations.send(
                key=config.company_id.encode(), value=json.dumps(command).encode()
            )
        except Exception as exc:  # Kafka refused: the test itself succeeded
            log.warning("names of %r not kept: %s", config.company_id, exc)

    return ask


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _unsent() -> dict[str, str]:
    return {
        "error": "owner_unavailable",
        "message": "The credential test could not be handed to the owner of the Halo instance"
        " (Kafka did not take it).",
        "action": "Try again in a moment; nothing was saved.",
    }


def _late(wait: float) -> dict[str, str]:
    return {
        "error": "owner_timeout",
        "message": f"The owner of the Halo instance did not answer the credential test within"
        f" {wait:g} s: its queue may be long (its Halo budget is spent by other work).",
        "action": "Try again in a minute (see status.halo_backlog); nothing was saved.",
    }
