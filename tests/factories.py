"""Rows for tests: campaigns through the API, jobs and results through fixture queries."""

from pathlib import Path
from typing import Any

import aiosql
import asyncpg
from litestar.testing import AsyncTestClient

fixtures: Any = aiosql.from_path(Path(__file__).parent / "sql", "asyncpg")


async def create_campaign(
    client: AsyncTestClient[Any],
    auth: dict[str, str],
    name: str = "Summer launch",
    search_type: str = "keyword",
) -> dict[str, Any]:
    response = await client.post("/api/campaigns", json={"name": name, "searchType": search_type}, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def add_job(
    pool: asyncpg.Pool,
    campaign: dict[str, Any],
    *,
    status: str = "completed",
    keywords: list[str] | None = None,
    result_pages: int = 0,
    creators_per_page: int = 2,
) -> str:
    """A job of the campaign's owner with result pages (jobs have no create route yet)."""
    async with pool.acquire() as conn, conn.transaction():
        job_id = await fixtures.insert_job_fixture(
            conn,
            user_id=campaign["userId"],
            campaign_id=campaign["id"],
            keywords=keywords or ["fashion"],
            status=status,
            processed_results=result_pages * creators_per_page,
        )
        for page in range(result_pages):
            creators = [
                {
                    "creator": {"name": f"creator-{page}-{i}", "followers": 1000 * (i + 1)},
                    "platform": "TikTok",
                }
                for i in range(creators_per_page)
            ]
            await fixtures.insert_result_fixture(conn, job_id=job_id, page=page, creators=creators)
    return str(job_id)


async def snapshot(pool: asyncpg.Pool, campaign_id: str) -> str:
    async with pool.acquire() as conn:
        text: str = await fixtures.snapshot_campaign(conn, campaign_id=campaign_id)
    return text
