"""Request-scoped dependencies: the caller and a database connection."""

from collections.abc import AsyncGenerator

import asyncpg
from litestar.datastructures import State


async def provide_db(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    """A pooled connection for routes that only read (each query commits on its own)."""
    async with state.pool.acquire(timeout=state.acquire_timeout) as conn:
        yield conn


async def provide_tx(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    """A pooled connection inside one transaction, for routes that write."""
    async with state.pool.acquire(timeout=state.acquire_timeout) as conn, conn.transaction():
        yield conn
