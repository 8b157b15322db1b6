"""Operations routes: liveness and readiness."""

import asyncio
import logging
from typing import Any

import asyncpg
import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from service.database import DATABASE_ERRORS, queries
from service.errors import RETRY_LATER, ErrorBody

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 2.0


class Health(msgspec.Struct):
    status: str


@get("/health", tags=["operations"], cache=False)
async def health() -> Health:
    """200 while the process runs."""
    return Health(status="ok")


async def readiness_problem(state: State) -> str | None:
    """Why the service cannot serve traffic, or None when it can."""
    try:
        async with state.pool.acquire(timeout=READY_TIMEOUT_SECONDS) as conn:
            rows = [r async for r in queries.list_applied_migrations(conn)]
    except asyncpg.UndefinedTableError:
        return "no migration has been applied; run `python main.py migrate`"
    except DATABASE_ERRORS as exc:
        return f"database unreachable ({type(exc).__name__})"
    pending = [m for m in state.expected_migrations if m not in {r.migration_id for r in rows}]
    if pending:
        return f"migrations pending: {', '.join(pending)}; run `python main.py migrate`"
    return None


@get(
    "/ready",
    tags=["operations"],
    cache=False,
    responses={
        200: ResponseSpec(data_container=Health, description="Ready", generate_examples=False),
        503: ResponseSpec(data_container=ErrorBody, description="Not ready, with the reason", generate_examples=False),
    },
)
async def ready(state: State) -> Response[Any]:
    """200 when the database answers and every migration is applied, else 503 with the reason."""
    try:
        problem = await asyncio.wait_for(readiness_problem(state), READY_TIMEOUT_SECONDS * 2)
    except TimeoutError:
        problem = "database did not answer in time"
    if problem is not None:
        return Response(ErrorBody(error=problem), status_code=HTTP_503_SERVICE_UNAVAILABLE, headers=RETRY_LATER)
    return Response(Health(status="ready"))
