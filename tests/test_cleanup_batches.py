"""The admin cleanup deletes in batches, each its own transaction, through the finished-jobs index."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import msgspec
import pytest
from litestar.datastructures import State
from prometheus_client import REGISTRY

from service.cleanup import delete_finished_jobs
from service.database import create_pool, queries
from service.settings import Settings
from tests.factories import add_job, fixtures
from tests.plans import plan_of


@pytest.fixture(scope="module")
async def db(module_database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(module_database, Settings(database_url=module_database))
    yield pool
    await pool.close()


async def old_jobs(pool: asyncpg.Pool, status: str, count: int, *, days: int) -> list[str]:
    """`count` jobs of `status`, each with two result pages, created `days` ago."""
    user_id = f"user_{uuid.uuid4().hex}"
    async with pool.acquire() as conn:
        campaign = msgspec.json.decode(
            await queries.create_campaign(conn, user_id=user_id, name="c", description=None, search_type="keyword")
        )
    ids = [await add_job(pool, campaign, status=status, result_pages=2) for _ in range(count)]
    async with pool.acquire() as conn:
        for job_id in ids:
            await fixtures.age_job(conn, job_id=job_id, days=days)
    return ids


def batches_run() -> float:
    return REGISTRY.get_sample_value("db_query_duration_seconds_count", {"query": "cleanup_jobs_batch"}) or 0.0


async def test_cleanup_works_through_the_jobs_in_batches_with_one_cutoff(db: asyncpg.Pool) -> None:
    doomed = await old_jobs(db, "timeout", 5, days=400)
    kept_recent = await old_jobs(db, "timeout", 1, days=10)
    kept_other_status = await old_jobs(db, "cancelled", 1, days=400)
    state = State({"pool": db, "acquire_timeout": 5.0})
    before = batches_run()

    totals = await delete_finished_jobs(state, "timeout", 365, batch_jobs=2)

    assert (totals.deleted_jobs, totals.deleted_results) == (5, 10)
    assert batches_run() - before == 3, "2 + 2 + 1 jobs: the short batch ends it"
    assert abs((datetime.now(UTC) - totals.cutoff_date).days - 365) <= 1
    async with db.acquire() as conn:
        left = {job_id: await fixtures.job_row(conn, job_id=job_id) for job_id in doomed + kept_recent}
    assert [job_id for job_id, row in left.items() if row is not None] == kept_recent
    async with db.acquire() as conn:
        assert await fixtures.job_row(conn, job_id=kept_other_status[0]) is not None

    again = await delete_finished_jobs(state, "timeout", 365, batch_jobs=2)
    assert (again.deleted_jobs, again.deleted_results) == (0, 0)


async def test_a_batch_finds_its_jobs_through_the_finished_jobs_index(db: asyncpg.Pool) -> None:
    async with db.acquire() as conn:
        plan = await plan_of(conn, "cleanup_jobs_batch", status="error", cutoff=datetime.now(UTC), batch_size=100)
    assert "scraping_jobs_finished_created_idx" in plan, plan
