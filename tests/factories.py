"""Rows for tests, made one way: campaigns through the API, jobs as the service creates them
(`launch_job`) or in a chosen state with stored pages (`add_job`)."""

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosql
import asyncpg
import msgspec
from litestar.testing import AsyncTestClient

from service.database import queries
from service.enumerations import Platform

fixtures: Any = aiosql.from_path(Path(__file__).parent / "sql", "asyncpg")

NO_LIMIT = 1_000_000


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


async def launch_job(
    pool: asyncpg.Pool,
    user_id: str,
    campaign_id: str,
    *,
    keywords: list[str],
    platform: Platform = "TikTok",
    target_results: int = 100,
) -> str:
    """A pending keyword job, created by the service's own query (limits off): the worker's input."""
    async with pool.acquire() as conn:
        row = await queries.create_job(
            conn,
            user_id=user_id,
            campaign_id=UUID(campaign_id),
            search_type="keyword",
            platform=platform,
            keywords=keywords,
            target_username=None,
            region="US",
            target_results=target_results,
            search_params=None,
            timeout_seconds=600,
            max_active_jobs=NO_LIMIT,
            max_jobs_per_minute=NO_LIMIT,
        )
    assert row is not None
    assert row.job is not None, row.refused
    job_id: str = msgspec.json.decode(row.job)["id"]
    return job_id


def big_creator(page: int, i: int) -> dict[str, Any]:
    """A creator with a 900-character bio: about 1 KB of CSV each, so exports outgrow socket buffers."""
    handle = f"c{page}_{i}"
    return {
        "creator": {"name": handle, "handle": handle, "followers": page * 1000 + i, "bio": "b" * 900, "emails": []},
        "video": {"url": f"https://x.example/{handle}", "statistics": {"views": 100, "likes": i}},
        "hashtags": [],
        "platform": "TikTok",
    }


def sample_creator(
    handle: str,
    followers: int,
    *,
    likes: int = 0,
    views: int = 0,
    emails: list[str] | None = None,
    hashtags: list[str] | None = None,
    bio: str = "",
    name: str | None = None,
    platform: str = "TikTok",
) -> dict[str, Any]:
    return {
        "creator": {
            "name": name or handle.title(),
            "handle": handle,
            "followers": followers,
            "avatarUrl": None,
            "bio": bio,
            "emails": emails or [],
        },
        "video": {
            "description": f"video of {handle}",
            "url": f"https://x.example/{handle}",
            "statistics": {"likes": likes, "comments": 0, "shares": 0, "views": views},
        },
        "hashtags": hashtags or [],
        "platform": platform,
    }


def sample_pages(result_pages: int, creators_per_page: int) -> list[list[dict[str, Any]]]:
    return [
        [sample_creator(f"creator-{page}-{i}", 1000 * (i + 1)) for i in range(creators_per_page)]
        for page in range(result_pages)
    ]


async def add_job(
    pool: asyncpg.Pool,
    campaign: dict[str, Any],
    *,
    status: str = "completed",
    keywords: list[str] | None = None,
    platform: Platform = "TikTok",
    result_pages: int = 0,
    creators_per_page: int = 2,
    pages: list[list[dict[str, Any]]] | None = None,
    page_order: list[int] | None = None,
    processed_results: int | None = None,
    progress: float = 0,
    created_at: datetime | None = None,
) -> str:
    """A job of the campaign's owner in a chosen state, with its result `pages` (or `result_pages`
    made-up pages) stored in `page_order` (page order by default), as a finished worker leaves them."""
    pages = sample_pages(result_pages, creators_per_page) if pages is None else pages
    async with pool.acquire() as conn, conn.transaction():
        job_id = await fixtures.insert_job_row(
            conn,
            user_id=campaign["userId"],
            campaign_id=campaign["id"],
            keywords=keywords or ["fashion"],
            platform=platform,
            status=status,
            processed_results=sum(map(len, pages)) if processed_results is None else processed_results,
            progress=progress,
            created_at=created_at,
        )
        for page in range(len(pages)) if page_order is None else page_order:
            await fixtures.insert_result_fixture(conn, job_id=job_id, page=page, creators=pages[page])
    return str(job_id)


async def snapshot(pool: asyncpg.Pool, campaign_id: str) -> str:
    async with pool.acquire() as conn:
        text: str = await fixtures.snapshot_campaign(conn, campaign_id=campaign_id)
    return text
