"""The query layer: aiosql loading sql/, every query timed, and the asyncpg pool."""

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from time import monotonic, perf_counter
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

import aiosql
import asyncpg
import msgspec
from aiosql.adapters.asyncpg import AsyncPGAdapter
from litestar.datastructures import State
from prometheus_client import Histogram

from service.paths import SQL_DIR
from service.query_types import ROW_TYPES, Queries
from service.settings import Settings
from service.timed_cursor import DatabaseTime, TimedCursorFactory

log = logging.getLogger(__name__)

QUERY_SECONDS = Histogram(
    "db_query_duration_seconds",
    "Time spent in each named SQL query, from send to last row received.",
    ["query"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

T = TypeVar("T")

DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
"""What a database call raises when the server is unreachable, busy or refuses: a lost or refused
connection, a pool acquire timeout (TimeoutError is an OSError), or an error from PostgreSQL."""


def row_type_of(query_name: str) -> type[msgspec.Struct]:
    try:
        return ROW_TYPES[query_name]
    except KeyError:
        raise LookupError(f"{query_name} has no row type: run python -m service.query_typegen") from None


class TimedAdapter(AsyncPGAdapter):
    """asyncpg adapter that records each query's duration under its name.

    Queries are always called with a connection (never the pool), so the
    adapter calls it directly instead of probing for `acquire` on every call.
    """

    slow_seconds: float = 0.25

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._timers: dict[str, Any] = {}

    def _args(self, query_name: str, parameters: Any) -> list[Any]:
        # aiosql calls with keyword arguments only: put them in the order of $1, $2, ...
        args: list[Any] = self.maybe_order_params(query_name, parameters)  # type: ignore[no-untyped-call]
        return args

    async def _timed(self, query_name: str, call: Awaitable[T]) -> T:
        started = perf_counter()
        try:
            return await call
        finally:
            self._record(query_name, perf_counter() - started)

    def _record(self, query_name: str, elapsed: float) -> None:
        timer = self._timers.get(query_name)
        if timer is None:
            timer = self._timers[query_name] = QUERY_SECONDS.labels(query_name)
        timer.observe(elapsed)
        if elapsed >= self.slow_seconds:
            log.warning("slow query %s took %.0f ms", query_name, elapsed * 1000)

    @asynccontextmanager
    async def select_cursor(
        self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any
    ) -> AsyncIterator[TimedCursorFactory]:
        """A server-side cursor (in its own transaction), timed as the database time of all its fetches."""
        spent = DatabaseTime()
        statement = await spent.of(conn.prepare(sql))
        try:
            async with conn.transaction():
                yield TimedCursorFactory(statement.cursor(*self._args(query_name, parameters)), spent)
        finally:
            self._record(query_name, spent.seconds)

    async def select(
        self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any, record_class: Any = None
    ) -> AsyncIterator[msgspec.Struct]:
        args = self._args(query_name, parameters)
        row_type = row_type_of(query_name)
        for row in await self._timed(query_name, conn.fetch(sql, *args)):
            yield row_type(*row)

    async def select_one(
        self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any, record_class: Any = None
    ) -> msgspec.Struct | None:
        args = self._args(query_name, parameters)
        row = await self._timed(query_name, conn.fetchrow(sql, *args))
        return None if row is None else row_type_of(query_name)(*row)

    async def select_value(self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any) -> Any:
        args = self._args(query_name, parameters)
        return await self._timed(query_name, conn.fetchval(sql, *args))

    async def insert_returning(self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any) -> Any:
        args = self._args(query_name, parameters)
        row = await self._timed(query_name, conn.fetchrow(sql, *args))
        if row is None:
            return None
        return row[0] if len(row) == 1 else row

    async def insert_update_delete(self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any) -> str:
        args = self._args(query_name, parameters)
        status: str = await self._timed(query_name, conn.execute(sql, *args))
        return status

    async def insert_update_delete_many(
        self, conn: asyncpg.Connection, query_name: str, sql: str, parameters: Any
    ) -> None:
        args = [self._args(query_name, p) for p in parameters]
        await self._timed(query_name, conn.executemany(sql, args))


def load_queries() -> Any:
    """Load every named query in sql/; a malformed file fails here, at start-up."""
    return aiosql.from_path(SQL_DIR, cast(Any, TimedAdapter))


raw_queries: Any = load_queries()
"""The aiosql object itself, for tools that read a query's SQL or parameters (`raw_queries.x.sql`)."""

queries = cast(Queries, raw_queries)
"""All named queries, typed by service/query_types.py:
`await queries.get_campaign_detail(conn, user_id=..., campaign_id=...)`."""


def query_sql(name: str) -> str:
    """A named query's SQL as it is sent, with $1, $2, ... in place of its :names."""
    sql: str = getattr(raw_queries, name).sql
    return sql


def parameter_order(name: str) -> list[str]:
    """A named query's parameter names in the order of $1, $2, ..."""
    declared = getattr(raw_queries, name).parameters or []
    order: list[str] = raw_queries.driver_adapter.maybe_order_params(name, {p: p for p in declared})
    return order


def configure_query_timing(settings: Settings) -> None:
    TimedAdapter.slow_seconds = settings.slow_query_ms / 1000


def _encode_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSON columns arrive as Python objects and Python objects go in as JSON.
    # Queries that return API JSON cast it to text, so it passes through untouched.
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(type_name, schema="pg_catalog", encoder=_encode_json, decoder=msgspec.json.decode)


def session_settings(settings: Settings) -> dict[str, str]:
    """PostgreSQL settings of every session the service opens (also given to the benchmark's pgbench)."""
    values = {"application_name": "influencer-service", "timezone": "UTC"}
    if settings.db_statement_cache_size > 0:
        # asyncpg prepares each named query once per connection. PostgreSQL would
        # still plan it again on every call whenever it judges a custom plan
        # cheaper, which the optional filters (`:x IS NULL OR ...`) always make
        # it do, and planning cost more than running (1.5 ms against 1.2 ms for
        # the campaigns page). One generic plan per connection is what the
        # plan tests (tests/plans.py) check. Without a statement cache (behind
        # PgBouncer) each statement is planned once anyway, and PgBouncer
        # refuses start-up parameters it does not know.
        values["plan_cache_mode"] = "force_generic_plan"
    return values


def connection_options(settings: Settings) -> dict[str, Any]:
    """asyncpg connect() options shared by the pool and dedicated connections."""
    return {
        "command_timeout": settings.db_command_timeout_seconds,
        "statement_cache_size": settings.db_statement_cache_size,
        "server_settings": session_settings(settings),
    }


def connections_needed(settings: Settings) -> int:
    """Connections all API processes of one `python main.py` may open: a pool and a listener each."""
    return settings.api_processes * (settings.db_pool_max_size + 1)


async def warn_if_over_max_connections(pool: asyncpg.Pool, settings: Settings) -> None:
    """Say so at start-up when the pools could exceed the server's max_connections.

    Only a warning: with the database down the service still starts (and /ready says why).
    """
    try:
        async with pool.acquire(timeout=settings.db_acquire_timeout_seconds) as conn:
            limit: int = await queries.max_connections(conn)
    except DATABASE_ERRORS as exc:
        log.warning("could not check max_connections at start-up (%s)", exc)
        return
    needed = connections_needed(settings)
    if needed > limit:
        log.warning(
            "API_PROCESSES x (DB_POOL_MAX_SIZE + 1 listener) = %d connections, but the server allows %d "
            "(and workers need theirs): lower the pools or put a pooler in front",
            needed,
            limit,
        )


class ConnectionLifetime:
    """Closes a pooled connection when it is released after DB_POOL_MAX_LIFETIME_SECONDS.

    asyncpg limits a connection's queries and idle time but not its age;
    poolers and failovers expect clients to reconnect now and then. The pool's
    `reset` callback runs at every release: a connection past its lifetime is
    closed there, and asyncpg opens a new one at the next acquire. A connection
    nobody uses is closed after DB_POOL_MAX_IDLE_SECONDS instead (except the
    DB_POOL_MIN_SIZE that asyncpg keeps open: those age out at their next use).

    Otherwise releasing needs nothing: asyncpg's default reset sends a
    statement on every release (unlock advisory locks, CLOSE ALL, UNLISTEN *,
    RESET ALL), one more round trip per request, and our queries leave no
    session state behind (advisory locks are transaction-scoped, cursors live
    inside transactions, LISTEN has its own connection, nothing SETs a session
    setting). asyncpg itself still rolls back a transaction left open.
    """

    def __init__(self, max_seconds: float, clock: Callable[[], float] = monotonic) -> None:
        self._max_seconds = max_seconds
        self._clock = clock
        self._opened: WeakKeyDictionary[asyncpg.Connection, float] = WeakKeyDictionary()

    async def init(self, conn: asyncpg.Connection) -> None:
        self._opened[conn] = self._clock()
        await _init_connection(conn)

    async def reset(self, conn: asyncpg.Connection) -> None:
        if self._clock() - self._opened.get(conn, math.inf) >= self._max_seconds:
            await conn.close()


async def create_pool(dsn: str, settings: Settings, clock: Callable[[], float] = monotonic) -> asyncpg.Pool:
    lifetime = ConnectionLifetime(settings.db_pool_max_lifetime_seconds, clock)
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min(settings.db_pool_min_size, settings.db_pool_max_size),
        max_size=settings.db_pool_max_size,
        max_inactive_connection_lifetime=settings.db_pool_max_idle_seconds,
        init=lifetime.init,
        reset=lifetime.reset,
        **connection_options(settings),
    )
    return pool


@asynccontextmanager
async def connection(state: State) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for reads and single-statement writes; each statement commits on its own.

    PostgreSQL makes one statement atomic (its CTEs and the triggers it fires
    included), so a request whose work is one statement needs no BEGIN and
    COMMIT: that is one round trip instead of three. Requests with several
    statements use `transaction`. Handlers borrow it only after their input is
    validated, so a 400 never waits for (or depends on) the database.
    """
    async with state.pool.acquire(timeout=state.acquire_timeout) as conn:
        yield conn


@asynccontextmanager
async def transaction(state: State) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection inside one transaction, committed when the block ends."""
    async with state.pool.acquire(timeout=state.acquire_timeout) as conn, conn.transaction():
        yield conn
