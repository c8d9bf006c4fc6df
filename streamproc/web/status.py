"""`GET /api/v1/companies/{company_id}/stats`: per-company counters, answered by any worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faust.web import Request, Response, View

from streamproc.web.common import unauthorized

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime
    from streamproc.web.guard import Guard


def register(app: faust.App, runtime: Runtime, guard: Guard) -> None:
    """Attach the per-company stats view (routed to the worker that owns the company)."""
    table = runtime.topology.company_status

    @app.page("/api/v1/companies/{company_id}/stats")
    class CompanyStats(View):
        async def get(self, request: Request, company_id: str) -> Response:
            source = guard.source(request)
            refusal = guard.refusal("admin", source)
            if refusal is not None:
                await refusal.held()
                return refusal.answer(self)
            if not guard.admin_ok(request):
                guard.failed("admin", "wrong_token", source)
                return unauthorized(self)
            return await self._owner(request, company_id=company_id)

        @app.table_route(table=table, match_info="company_id")
        async def _owner(self, request: Request, company_id: str) -> Response:
            return self.json({"company_id": company_id, "stats": table.get(company_id) or {}})
