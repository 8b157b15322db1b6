"""Campaign routes through HTTP: happy paths, bad input, other users' data."""

import asyncio
import uuid
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.api.campaigns import CampaignDetail, CampaignPage, CampaignStats
from service.api.shapes import Campaign
from service.database import queries
from tests.factories import add_job, create_campaign, fixtures, snapshot

Client = AsyncTestClient[Any]


async def test_create_returns_a_trimmed_draft_campaign(client: Client, auth: dict[str, str], user_id: str) -> None:
    response = await client.post(
        "/api/campaigns",
        json={"name": "  Summer launch  ", "description": "Fashion creators", "searchType": "keyword"},
        headers=auth,
    )
    assert response.status_code == 201
    campaign = msgspec.json.decode(response.content, type=Campaign)
    assert campaign.name == "Summer launch"
    assert campaign.description == "Fashion creators"
    assert campaign.status == "draft"
    assert campaign.user_id == user_id
    assert campaign.created_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"searchType": "keyword"}, "name"),
        ({"name": "x"}, "searchType"),
        ({"name": 5, "searchType": "keyword"}, "name"),
        ({"name": "   ", "searchType": "keyword"}, "name"),
        ({"name": "x" * 101, "searchType": "keyword"}, "name"),
        ({"name": "x", "searchType": "lookalike"}, "searchType"),
        ({"name": "x", "searchType": "keyword", "description": "d" * 501}, "description"),
        ({"name": "x", "searchType": "keyword", "status": "active"}, "status"),
    ],
)
async def test_create_rejects_bad_input_and_writes_nothing(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/campaigns", json=body, headers=auth)
    assert response.status_code == 400
    error = response.json()
    assert field in error["error"] or any(field in d["field"] or field in d["message"] for d in error["details"])
    async with pool.acquire() as conn:
        counts = await fixtures.count_user_rows(conn, user_id=user_id)
    assert counts["campaigns"] == 0


async def test_create_rejects_malformed_json(client: Client, auth: dict[str, str]) -> None:
    response = await client.post(
        "/api/campaigns", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "error" in response.json()


async def test_list_pages_newest_first_with_latest_job(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    created = [await create_campaign(client, auth, name=f"c{i}") for i in range(5)]
    await add_job(pool, created[4], status="completed")
    newest_job = await add_job(pool, created[4], status="processing")

    first = await client.get("/api/campaigns", params={"page": 1, "limit": 2}, headers=auth)
    assert first.status_code == 200
    page = msgspec.json.decode(first.content, type=CampaignPage)
    assert [c.name for c in page.campaigns] == ["c4", "c3"]
    assert [str(j.id) for j in page.campaigns[0].scraping_jobs] == [newest_job]
    assert page.campaigns[1].scraping_jobs == []
    assert (page.pagination.total, page.pagination.pages, page.pagination.current_page) == (5, 3, 1)
    assert "nextCursor" not in first.json()["pagination"]

    last = await client.get("/api/campaigns", params={"page": 3, "limit": 2}, headers=auth)
    assert [c["name"] for c in last.json()["campaigns"]] == ["c0"]
    beyond = await client.get("/api/campaigns", params={"page": 9, "limit": 2}, headers=auth)
    assert beyond.json()["campaigns"] == []
    assert beyond.json()["pagination"]["total"] == 5


async def test_list_filters_by_status_and_active_jobs(client: Client, auth: dict[str, str], pool: asyncpg.Pool) -> None:
    idle = await create_campaign(client, auth, name="idle")
    busy = await create_campaign(client, auth, name="busy")
    finished = await create_campaign(client, auth, name="finished")
    await add_job(pool, busy, status="pending")
    await add_job(pool, finished, status="completed")
    await client.patch(f"/api/campaigns/{finished['id']}", json={"status": "completed"}, headers=auth)

    active = await client.get("/api/campaigns", params={"hasActiveJobs": "true"}, headers=auth)
    assert [c["name"] for c in active.json()["campaigns"]] == ["busy"]
    assert active.json()["pagination"]["total"] == 1

    completed = await client.get("/api/campaigns", params={"status": "completed"}, headers=auth)
    assert [c["name"] for c in completed.json()["campaigns"]] == ["finished"]

    drafts = await client.get("/api/campaigns", params={"status": "draft", "hasActiveJobs": "true"}, headers=auth)
    assert [c["name"] for c in drafts.json()["campaigns"]] == ["busy"]
    assert idle["id"] not in {c["id"] for c in drafts.json()["campaigns"]}


async def totals(client: Client, auth: dict[str, str]) -> dict[str, int]:
    """pagination.total of the list, unfiltered and per status."""
    found = {}
    for status in (None, "draft", "active", "completed"):
        params = {"status": status} if status else {}
        response = await client.get("/api/campaigns", params={**params, "limit": 1}, headers=auth)
        found[status or "all"] = response.json()["pagination"]["total"]
    return found


async def test_list_total_follows_creates_status_changes_and_deletes(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    # The total is read from counts kept by triggers, not counted per request.
    campaigns = [await create_campaign(client, auth, name=f"c{i}") for i in range(4)]
    assert await totals(client, auth) == {"all": 4, "draft": 4, "active": 0, "completed": 0}

    started = await client.post(
        "/api/scraping/tiktok", json={"campaignId": campaigns[0]["id"], "keywords": ["fashion"]}, headers=auth
    )
    assert started.status_code == 201
    for campaign, change in [(campaigns[1], {"status": "completed"}), (campaigns[2], {"name": "renamed"})]:
        assert (await client.patch(f"/api/campaigns/{campaign['id']}", json=change, headers=auth)).status_code == 200
    assert await totals(client, auth) == {"all": 4, "draft": 2, "active": 1, "completed": 1}

    for campaign in (campaigns[1], campaigns[3]):
        assert (await client.delete(f"/api/campaigns/{campaign['id']}", headers=auth)).status_code == 200
    assert await totals(client, auth) == {"all": 2, "draft": 1, "active": 1, "completed": 0}
    async with pool.acquire() as conn:
        assert [dict(row) async for row in fixtures.campaign_count_drift(conn, user_id=user_id)] == []


async def test_list_total_counts_concurrent_creates_once_each(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    await asyncio.gather(*(create_campaign(client, auth, name=f"c{i}") for i in range(20)))
    assert (await totals(client, auth))["all"] == 20
    async with pool.acquire() as conn:
        assert [dict(row) async for row in fixtures.campaign_count_drift(conn, user_id=user_id)] == []


async def test_a_failed_create_leaves_the_total_unchanged(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    await create_campaign(client, auth)

    async def create_two_then_fail() -> None:
        async with pool.acquire() as conn, conn.transaction():
            for name in ("fine", " "):  # the second breaks the name CHECK
                await queries.create_campaign(conn, user_id=user_id, name=name, description=None, search_type="keyword")

    with pytest.raises(asyncpg.CheckViolationError):
        await create_two_then_fail()
    assert (await totals(client, auth))["all"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"page": 0}, "page"),
        ({"status": "archived"}, "status"),
        ({"hasActiveJobs": "maybe"}, "hasActiveJobs"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4Il0"}, "cursor"),
    ],
)
async def test_list_rejects_bad_parameters(
    client: Client, auth: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/campaigns", params=params, headers=auth)
    assert response.status_code == 400
    assert field in response.json()["error"]


async def test_list_shows_only_the_callers_campaigns(
    client: Client, auth: dict[str, str], other_auth: dict[str, str]
) -> None:
    await create_campaign(client, auth, name="mine")
    response = await client.get("/api/campaigns", headers=other_auth)
    assert response.json() == {
        "campaigns": [],
        "pagination": {"total": 0, "pages": 0, "currentPage": 1, "limit": 12},
    }


async def test_detail_nests_jobs_newest_first_with_results(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    older = await add_job(pool, campaign, result_pages=2)
    newer = await add_job(pool, campaign, result_pages=1, creators_per_page=3)

    response = await client.get(f"/api/campaigns/{campaign['id']}", headers=auth)
    assert response.status_code == 200
    detail = msgspec.json.decode(response.content, type=CampaignDetail)
    assert [str(j.id) for j in detail.scraping_jobs] == [newer, older]
    assert [len(r.creators) for r in detail.scraping_jobs[0].results] == [3]
    assert [len(r.creators) for r in detail.scraping_jobs[1].results] == [2, 2]
    assert all(str(r.job_id) == older for r in detail.scraping_jobs[1].results)


async def test_update_changes_only_given_fields(client: Client, auth: dict[str, str]) -> None:
    campaign = await create_campaign(client, auth)
    await client.patch(f"/api/campaigns/{campaign['id']}", json={"description": "first"}, headers=auth)

    renamed = await client.patch(f"/api/campaigns/{campaign['id']}", json={"name": " Autumn "}, headers=auth)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Autumn"
    assert renamed.json()["description"] == "first"
    assert renamed.json()["updatedAt"] > campaign["updatedAt"]

    cleared = await client.patch(
        f"/api/campaigns/{campaign['id']}", json={"description": None, "status": "active"}, headers=auth
    )
    assert (cleared.json()["description"], cleared.json()["status"], cleared.json()["name"]) == (
        None,
        "active",
        "Autumn",
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": None},
        {"name": "x" * 101},
        {"status": "archived"},
        {"searchType": "similar"},
    ],
)
async def test_update_rejects_bad_input_and_changes_nothing(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool, body: dict[str, Any]
) -> None:
    campaign = await create_campaign(client, auth)
    before = await snapshot(pool, campaign["id"])
    response = await client.patch(f"/api/campaigns/{campaign['id']}", json=body, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]
    assert await snapshot(pool, campaign["id"]) == before


async def test_delete_removes_jobs_and_results(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    jobs = [await add_job(pool, campaign, result_pages=3), await add_job(pool, campaign, result_pages=1)]
    async with pool.acquire() as conn:
        assert [await fixtures.count_found_creators(conn, job_id=UUID(job)) for job in jobs] == [6, 2]

    response = await client.delete(f"/api/campaigns/{campaign['id']}", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"message": "Campaign deleted successfully"}
    async with pool.acquire() as conn:
        counts = await fixtures.count_user_rows(conn, user_id=user_id)
        found = [await fixtures.count_found_creators(conn, job_id=UUID(job)) for job in jobs]
    assert dict(counts) == {"campaigns": 0, "jobs": 0, "results": 0}
    assert found == [0, 0], "the jobs' creators go with their pages"
    again = await client.delete(f"/api/campaigns/{campaign['id']}", headers=auth)
    assert again.status_code == 404


async def test_stats_count_by_status_and_order_by_latest_job(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    quiet = await create_campaign(client, auth, name="quiet")
    first = await create_campaign(client, auth, name="first")
    second = await create_campaign(client, auth, name="second")
    await add_job(pool, first, result_pages=1)  # 2 results
    await add_job(pool, second, result_pages=2)  # 4 results
    await add_job(pool, first, result_pages=3)  # 6 results, the newest job
    await client.patch(f"/api/campaigns/{second['id']}", json={"status": "active"}, headers=auth)

    response = await client.get("/api/campaigns/stats", headers=auth)
    assert response.status_code == 200
    stats = msgspec.json.decode(response.content, type=CampaignStats)
    assert (stats.by_status.draft, stats.by_status.active, stats.by_status.completed) == (2, 1, 0)
    rows = [(c.campaign_name, c.total_jobs, c.avg_results) for c in stats.campaigns]
    assert rows == [("first", 2, 4.0), ("second", 1, 4.0), ("quiet", 0, 0.0)]
    assert stats.campaigns[2].latest_job is None
    assert str(stats.campaigns[2].campaign_id) == quiet["id"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "taken over"}),
        ("DELETE", "", None),
    ],
)
async def test_another_users_campaign_is_not_found_and_unchanged(
    client: Client,
    auth: dict[str, str],
    other_auth: dict[str, str],
    pool: asyncpg.Pool,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    campaign = await create_campaign(client, auth)
    await add_job(pool, campaign, result_pages=1)
    before = await snapshot(pool, campaign["id"])

    response = await client.request(method, f"/api/campaigns/{campaign['id']}{suffix}", json=body, headers=other_auth)
    assert response.status_code == 404
    assert response.json() == {"error": "Campaign not found"}
    assert await snapshot(pool, campaign["id"]) == before


async def test_stats_ignore_other_users(client: Client, auth: dict[str, str], other_auth: dict[str, str]) -> None:
    await create_campaign(client, auth)
    response = await client.get("/api/campaigns/stats", headers=other_auth)
    assert response.json() == {"byStatus": {"draft": 0, "active": 0, "completed": 0}, "campaigns": []}


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_malformed_or_unknown_ids(client: Client, auth: dict[str, str], method: str) -> None:
    body = {"name": "x"} if method == "PATCH" else None
    malformed = await client.request(method, "/api/campaigns/not-a-uuid", json=body, headers=auth)
    assert malformed.status_code == 400
    assert "UUID" in malformed.json()["error"]
    unknown = await client.request(method, f"/api/campaigns/{uuid.uuid4()}", json=body, headers=auth)
    assert unknown.status_code == 404
