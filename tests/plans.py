"""EXPLAIN of the service's own named queries, for tests that check index use."""

from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from service.database import parameter_order, query_sql


async def plan_of(conn: asyncpg.Connection | PoolConnectionProxy, name: str, **params: Any) -> str:
    """The text plan of named query `name` with `params` (a generic plan, as prepared statements get)."""
    sql = query_sql(name)
    order = parameter_order(name)
    async with conn.transaction():
        # The test database holds a few small jobs and campaigns, so the planner may
        # rightly prefer to sort a handful of rows over reading an index in order, and
        # which it picks depends on when autovacuum last analysed the tables. With
        # sequential scans and sorts priced out, the plan shows the index the query is
        # written for, whatever the statistics (the bench's EXPLAIN.md has real sizes).
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL enable_sort = off")
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        rows = await conn.fetch(f"EXPLAIN {sql}", *[params[p] for p in order])
    return "\n".join(row[0] for row in rows)
