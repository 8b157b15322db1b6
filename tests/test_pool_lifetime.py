"""Pooled connections have a maximum lifetime: one past it is replaced at its next release."""

import asyncio

import asyncpg
import msgspec

from service.database import create_pool
from service.settings import Settings


async def backend_pid(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        pid: int = await conn.fetchval("SELECT pg_backend_pid()")
        return pid


async def test_a_connection_past_its_lifetime_is_closed_at_release_and_replaced(settings: Settings, dsn: str) -> None:
    now = [0.0]
    one = msgspec.structs.replace(settings, db_pool_min_size=1, db_pool_max_size=1, db_pool_max_lifetime_seconds=60)
    pool = await create_pool(dsn, one, clock=lambda: now[0])
    try:
        first = await backend_pid(pool)
        now[0] = 59.0
        assert await backend_pid(pool) == first, "younger than its lifetime: kept"
        async with pool.acquire() as conn:
            now[0] = 60.0  # passes its lifetime while borrowed: the borrower is not disturbed
            assert await conn.fetchval("SELECT pg_backend_pid()") == first
        second = await backend_pid(pool)
        assert second != first, "closed at release, a new connection at the next acquire"
        async with pool.acquire() as conn:
            alive = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", first)
        assert alive == 0, "the old session has ended on the server"
    finally:
        await pool.close()


async def test_many_borrowers_share_a_pool_whose_connections_keep_expiring(settings: Settings, dsn: str) -> None:
    now = [0.0]
    small = msgspec.structs.replace(settings, db_pool_min_size=1, db_pool_max_size=3, db_pool_max_lifetime_seconds=1)
    pool = await create_pool(dsn, small, clock=lambda: now[0])

    async def borrow(i: int) -> int:
        async with pool.acquire(timeout=10) as conn:
            now[0] += 0.5
            value: int = await conn.fetchval("SELECT $1::int", i)
            return value

    try:
        assert await asyncio.gather(*(borrow(i) for i in range(60))) == list(range(60))
        assert pool.get_size() <= 3
    finally:
        await pool.close()
