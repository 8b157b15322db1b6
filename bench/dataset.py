"""The benchmark database: a persistent embedded PostgreSQL in bench/data with a realistic dataset.

The scale follows the performance issue's default: 2,000 users with 20
campaigns each, 5 jobs per campaign, and 2 result pages of 20 creators for
every 4th job (scale 1.0), plus one heavy user with 20,000 jobs. It is
generated in SQL and kept between runs (delete bench/data to start again).
"""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosql
import asyncpg

from service.embedded import embedded_database
from service.migrations import apply_pending

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
dataset: Any = aiosql.from_path(BENCH_DIR / "sql", "asyncpg")

USERS = 2000
CAMPAIGNS_PER_USER = 20
JOBS_PER_CAMPAIGN = 5
RESULT_JOB_EVERY = 4
PAGES_PER_JOB = 2
CREATORS_PER_PAGE = 20
# One user with 20,000 jobs besides the 2,000 typical ones.
HEAVY_CAMPAIGNS = 50
HEAVY_JOBS_PER_CAMPAIGN = 400


@contextmanager
def bench_database(database_url: str | None = None) -> Iterator[str]:
    """DATABASE_URL if given, else the embedded server in bench/data; migrated."""
    if database_url:
        apply_pending(database_url)
        yield database_url
        return
    DATA_DIR.mkdir(exist_ok=True)
    with embedded_database(DATA_DIR) as dsn:
        apply_pending(dsn)
        yield dsn


async def ensure_dataset(dsn: str, scale: float = 1.0) -> None:
    """Generate the dataset unless it is there already, then refresh planner statistics."""
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        if await dataset.count_bench_campaigns(conn) > 0:
            return
        started = time.perf_counter()
        users = max(1, int(USERS * scale))
        async with conn.transaction():
            await dataset.generate_campaigns(conn, users=users, campaigns_per_user=CAMPAIGNS_PER_USER)
            await dataset.generate_jobs(conn, jobs_per_campaign=JOBS_PER_CAMPAIGN)
            await dataset.generate_results(
                conn, job_every=RESULT_JOB_EVERY, pages_per_job=PAGES_PER_JOB, creators_per_page=CREATORS_PER_PAGE
            )
            await dataset.generate_heavy_user(
                conn, campaigns=HEAVY_CAMPAIGNS, jobs_per_campaign=HEAVY_JOBS_PER_CAMPAIGN
            )
        await dataset.analyze_tables(conn)
        print(f"generated the dataset (scale {scale}) in {time.perf_counter() - started:.0f} s")
    finally:
        await conn.close()


def megabytes(size: int) -> str:
    return f"{size / 1_048_576:,.1f} MB"


if __name__ == "__main__":
    with bench_database() as dsn:
        asyncio.run(ensure_dataset(dsn))
