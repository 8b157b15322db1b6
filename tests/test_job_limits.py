"""Per-user limits on starting jobs: unfinished jobs at once, and jobs per minute (429)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import create_pool, queries
from service.query_types import CreateJobRow
from service.settings import Settings
from tests.factories import fixtures

Client = AsyncTestClient[Any]
MAX_ACTIVE = 2
MAX_PER_MINUTE = 3


@pytest.fixture(scope="module")
async def limited(module_database: str) -> AsyncIterator[tuple[Client, TokenVerifier]]:
    """An app on a database of this module's own, whose limits are low."""
    conn = await asyncpg.connect(module_database)
    try:
        for key, value in (("max_active_jobs_per_user", MAX_ACTIVE), ("max_jobs_per_minute", MAX_PER_MINUTE)):
            await fixtures.store_raw_config(
                conn, category="api_limits", key=key, value=str(value), value_type="number", is_hot_reloadable=True
            )
    finally:
        await conn.close()
    settings = Settings(database_url=module_database, auth_jwt_secret="l" * 40, run_worker=False, access_log=False)
    verifier = TokenVerifier.from_settings(settings)
    async with AsyncTestClient(app=create_app(settings, module_database, verifier)) as client:
        yield client, verifier


async def campaign_of(client: Client, headers: dict[str, str]) -> str:
    response = await client.post("/api/campaigns", json={"name": "c", "searchType": "keyword"}, headers=headers)
    campaign_id: str = response.json()["id"]
    return campaign_id


async def launch(client: Client, headers: dict[str, str], campaign_id: str) -> Any:
    return await client.post(
        "/api/scraping/tiktok", json={"campaignId": campaign_id, "keywords": ["fashion"]}, headers=headers
    )


async def test_unfinished_jobs_and_jobs_per_minute_are_limited(
    limited: tuple[Client, TokenVerifier], user_id: str
) -> None:
    client, verifier = limited
    headers = {"Authorization": f"Bearer {verifier.issue(user_id)}"}
    campaign = await campaign_of(client, headers)
    first, second = [await launch(client, headers, campaign) for _ in range(MAX_ACTIVE)]
    assert (first.status_code, second.status_code) == (201, 201)

    refused = await launch(client, headers, campaign)
    assert refused.status_code == 429
    assert refused.json() == {"error": "You already have 2 searches running; wait for one to finish or cancel one"}
    assert refused.headers["retry-after"] == "60"
    jobs = (await client.get("/api/jobs", headers=headers)).json()
    assert jobs["pagination"]["total"] == MAX_ACTIVE, "a refused launch writes nothing"

    await client.patch(f"/api/jobs/{first.json()['id']}", json={"action": "cancel"}, headers=headers)
    assert (await launch(client, headers, campaign)).status_code == 201  # the third this minute

    await client.patch(f"/api/jobs/{second.json()['id']}", json={"action": "cancel"}, headers=headers)
    too_soon = await launch(client, headers, campaign)
    assert too_soon.status_code == 429
    assert "at most 3 searches a minute" in too_soon.json()["error"]


async def test_concurrent_launches_respect_the_limit(limited: tuple[Client, TokenVerifier], user_id: str) -> None:
    client, verifier = limited
    headers = {"Authorization": f"Bearer {verifier.issue(user_id)}"}
    campaign = await campaign_of(client, headers)
    responses = await asyncio.gather(*(launch(client, headers, campaign) for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [201] * MAX_ACTIVE + [429] * (10 - MAX_ACTIVE)


async def test_limits_are_per_user(limited: tuple[Client, TokenVerifier], user_id: str, other_user_id: str) -> None:
    client, verifier = limited
    for user in (user_id, other_user_id):
        headers = {"Authorization": f"Bearer {verifier.issue(user)}"}
        campaign = await campaign_of(client, headers)
        assert [(await launch(client, headers, campaign)).status_code for _ in range(MAX_ACTIVE)] == [201, 201]


async def test_a_launch_waiting_on_another_counts_the_job_it_committed(module_database: str, user_id: str) -> None:
    """Two launches race: the second must see the first's job once it has committed."""
    pool = await create_pool(module_database, Settings(database_url=module_database))
    first, second = await pool.acquire(), await pool.acquire()
    try:
        campaigns = [
            msgspec.json.decode(
                await queries.create_campaign(
                    first, user_id=user_id, name=f"c{i}", description=None, search_type="keyword"
                )
            )["id"]
            for i in range(2)
        ]

        async def launch_in(conn: Any, campaign: str) -> CreateJobRow | None:
            await queries.lock_job_creation(conn, user_id=user_id)
            row = await queries.create_job(
                conn,
                user_id=user_id,
                campaign_id=UUID(campaign),
                search_type="keyword",
                platform="TikTok",
                keywords=["x"],
                target_username=None,
                region="US",
                target_results=10,
                search_params=None,
                timeout_seconds=60,
                max_active_jobs=1,
                max_jobs_per_minute=100,
            )
            return row

        first_tx = first.transaction()
        await first_tx.start()
        first_row = await launch_in(first, campaigns[0])
        assert first_row is not None
        assert first_row.refused is None

        async def racing() -> CreateJobRow | None:
            async with second.transaction():
                return await launch_in(second, campaigns[1])

        waiting = asyncio.create_task(racing())
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second launch waits for the first"
        await first_tx.commit()
        second_row = await waiting
        assert second_row is not None
        assert second_row.refused == "active_jobs"
    finally:
        await pool.release(first)
        await pool.release(second)
        await pool.close()
