"""Scraping job routes through HTTP (no worker runs here: jobs stay where the test puts them)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.api.job_shapes import CleanupReport, JobDetail, JobStarted
from service.api.shapes import Job
from tests.conftest import TokenFactory
from tests.factories import add_job, create_campaign, fixtures, snapshot

Client = AsyncTestClient[Any]


async def launch(client: Client, auth: dict[str, str], campaign: dict[str, Any], **body: Any) -> Any:
    return await client.post(
        f"/api/scraping/{body.pop('platform', 'tiktok')}",
        json={"campaignId": campaign["id"], **body},
        headers=auth,
    )


async def test_launching_a_keyword_search(client: Client, auth: dict[str, str]) -> None:
    campaign = await create_campaign(client, auth)
    response = await launch(
        client,
        auth,
        campaign,
        keywords=["  fashion ", "", "Summer", "summer", "fashion"],
        targetResults=250,
        region="gb",
    )
    assert response.status_code == 201, response.text
    job = msgspec.json.decode(response.content, type=JobStarted)
    assert (job.job_id, job.message) == (job.id, "Scraping job started successfully")
    assert (job.status, job.platform, job.keywords, job.target_results, job.region) == (
        "pending",
        "TikTok",
        ["fashion", "Summer"],
        250,
        "GB",
    )
    assert (job.progress, job.processed_results, job.target_username) == (0, 0, None)
    assert job.timeout_at is not None
    assert abs(job.timeout_at - (job.created_at + timedelta(minutes=30))) < timedelta(seconds=1)
    detail = (await client.get(f"/api/campaigns/{campaign['id']}", headers=auth)).json()
    assert detail["status"] == "active"
    assert [j["id"] for j in detail["scrapingJobs"]] == [str(job.id)]


async def test_launching_a_similar_search(client: Client, auth: dict[str, str]) -> None:
    campaign = await create_campaign(client, auth, search_type="similar")
    response = await launch(client, auth, campaign, platform="youtube", targetUsername=" @mkbhd ")
    assert response.status_code == 201
    job = response.json()
    assert (job["platform"], job["targetUsername"], job["keywords"], job["targetResults"]) == (
        "YouTube",
        "mkbhd",
        None,
        1000,
    )


@pytest.mark.parametrize(
    ("search_type", "body", "field"),
    [
        ("keyword", {}, "keywords"),
        ("keyword", {"keywords": ["", "  "]}, "keywords"),
        ("keyword", {"keywords": [f"k{i}" for i in range(21)]}, "keywords"),
        ("keyword", {"keywords": ["x" * 101]}, "keywords"),
        ("keyword", {"keywords": "fashion"}, "keywords"),
        ("keyword", {"keywords": ["a"], "targetUsername": "b"}, "not both"),
        ("similar", {"targetUsername": "bad name!"}, "targetUsername"),
        ("similar", {"targetUsername": "josé"}, "targetUsername"),  # handles are ASCII (as the document says)
        ("similar", {"targetUsername": "nike", "username": "nike"}, "not both"),
        ("keyword", {"keywords": ["a"], "targetResults": 0}, "targetResults"),
        ("keyword", {"keywords": ["a"], "targetResults": 10001}, "targetResults"),
        ("keyword", {"keywords": ["a"], "region": "USA"}, "region"),
        ("keyword", {"keywords": ["a"], "campaignId": "nope"}, "campaignId"),
        ("keyword", {"keywords": ["a"], "platform": "myspace"}, "platform"),
        ("keyword", {"keywords": ["a"], "priority": "high"}, "priority"),
        # A search of the other type than its campaign conflicts with the campaign.
        ("keyword", {"targetUsername": "someone"}, "keyword campaign"),
        ("similar", {"keywords": ["fashion"]}, "similar campaign"),
    ],
)
async def test_bad_searches_are_refused_and_write_nothing(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool, search_type: str, body: dict[str, Any], field: str
) -> None:
    campaign = await create_campaign(client, auth, search_type=search_type)
    before = await snapshot(pool, campaign["id"])
    response = await launch(client, auth, campaign, **body)
    assert response.status_code == (409 if field.endswith("campaign") else 400)
    assert field in response.json()["error"]
    assert await snapshot(pool, campaign["id"]) == before


async def test_another_users_campaign_gets_no_job(
    client: Client, auth: dict[str, str], other_auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    before = await snapshot(pool, campaign["id"])
    response = await launch(client, other_auth, campaign, keywords=["fashion"])
    assert response.status_code == 404
    assert response.json() == {"error": "Campaign not found"}
    assert await snapshot(pool, campaign["id"]) == before
    unknown = await client.post(
        "/api/scraping/tiktok", json={"campaignId": str(uuid.uuid4()), "keywords": ["a"]}, headers=auth
    )
    assert unknown.status_code == 404


async def test_job_detail_with_results_and_aggregations(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    job_id = await add_job(pool, campaign, result_pages=3, creators_per_page=4)
    response = await client.get(f"/api/jobs/{job_id}", headers=auth)
    assert response.status_code == 200
    detail = msgspec.json.decode(response.content, type=JobDetail)
    assert [len(r.creators) for r in detail.results] == [4, 4, 4]
    assert (detail.aggregations.total_results, detail.aggregations.total_creators) == (3, 12)
    assert detail.aggregations.average_creators_per_result == 4.0
    polled = (await client.get("/api/scraping/tiktok", params={"jobId": job_id}, headers=auth)).json()
    merged = polled.pop("results")
    assert polled == {k: v for k, v in response.json().items() if k != "results"}
    # The polling route merges the pages into one result (tests/test_old_frontend.py has the rest).
    assert [c["creator"]["name"] for c in merged[0]["creators"]] == [
        c["creator"]["name"] for r in detail.results for c in r.creators
    ]

    empty = await add_job(pool, campaign, status="pending")
    aggregations = (await client.get(f"/api/jobs/{empty}", headers=auth)).json()["aggregations"]
    assert aggregations == {"totalResults": 0, "totalCreators": 0, "averageCreatorsPerResult": 0}


async def test_cancel_a_pending_job(client: Client, auth: dict[str, str], pool: asyncpg.Pool) -> None:
    campaign = await create_campaign(client, auth)
    job_id = await add_job(pool, campaign, status="pending")
    response = await client.patch(f"/api/jobs/{job_id}", json={"action": "cancel"}, headers=auth)
    assert response.status_code == 200
    job = msgspec.json.decode(response.content, type=Job)
    assert (job.status, job.error) == ("cancelled", "Job cancelled by user")
    assert job.completed_at is not None
    again = await client.patch(f"/api/jobs/{job_id}", json={"action": "cancel"}, headers=auth)
    assert again.status_code == 409
    assert "cancelled" in again.json()["error"]


@pytest.mark.parametrize("body", [{"action": "pause"}, {"action": "CANCEL"}])
async def test_other_actions_are_invalid(client: Client, auth: dict[str, str], pool: asyncpg.Pool, body: Any) -> None:
    campaign = await create_campaign(client, auth)
    job_id = await add_job(pool, campaign, status="processing")
    response = await client.patch(f"/api/jobs/{job_id}", json=body, headers=auth)
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid action"}
    assert (await client.get(f"/api/jobs/{job_id}", headers=auth)).json()["status"] == "processing"


async def test_another_users_job_is_404_everywhere_and_unchanged(
    client: Client, auth: dict[str, str], other_auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    job_id = await add_job(pool, campaign, status="processing", result_pages=1)
    before = await snapshot(pool, campaign["id"])
    for method, path, body in (
        ("GET", f"/api/jobs/{job_id}", None),
        ("GET", f"/api/scraping/tiktok?jobId={job_id}", None),
        ("PATCH", f"/api/jobs/{job_id}", {"action": "cancel"}),
        ("GET", f"/api/jobs/{job_id}/events", None),
    ):
        response = await client.request(method, path, json=body, headers=other_auth)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Job not found"}
    assert await snapshot(pool, campaign["id"]) == before


@pytest.mark.parametrize(
    "path", ["/api/jobs/not-a-uuid", "/api/jobs/not-a-uuid/events", "/api/scraping/tiktok?jobId=x"]
)
async def test_malformed_job_ids_are_400(client: Client, auth: dict[str, str], path: str) -> None:
    assert (await client.get(path, headers=auth)).status_code == 400


async def test_events_of_a_finished_job_end_with_its_state(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    job_id = await add_job(pool, campaign, status="completed")
    async with client.stream("GET", f"/api/jobs/{job_id}/events", headers=auth) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = [line async for line in stream.aiter_lines()]
    events = [line for line in lines if line.startswith("event:")]
    data = [msgspec.json.decode(line.removeprefix("data:").strip()) for line in lines if line.startswith("data:")]
    assert events == ["event: progress"]
    assert data[0]["status"] == "completed"


async def test_cleanup_deletes_old_finished_jobs_with_their_results(
    client: Client, auth: dict[str, str], admin_auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    old_error = await add_job(pool, campaign, status="error", result_pages=2)
    recent_error = await add_job(pool, campaign, status="error", result_pages=1)
    old_completed = await add_job(pool, campaign, status="completed", result_pages=1)
    async with pool.acquire() as conn:
        for job_id in (old_error, old_completed):
            await fixtures.age_job(conn, job_id=job_id, days=400)

    response = await client.post(
        "/api/jobs/cleanup", json={"status": "error", "olderThanDays": 365}, headers=admin_auth
    )
    assert response.status_code == 200
    report = msgspec.json.decode(response.content, type=CleanupReport)
    assert (report.deleted_jobs, report.deleted_results) >= (1, 2)
    assert abs(report.cutoff_date - (datetime.now(UTC) - timedelta(days=365))) < timedelta(minutes=1)
    assert (await client.get(f"/api/jobs/{old_error}", headers=auth)).status_code == 404
    assert (await client.get(f"/api/jobs/{recent_error}", headers=auth)).status_code == 200
    assert (await client.get(f"/api/jobs/{old_completed}", headers=auth)).status_code == 200
    async with pool.acquire() as conn:
        found = [await fixtures.count_found_creators(conn, job_id=UUID(j)) for j in (old_error, recent_error)]
    assert found == [0, 2], "the deleted job's creators go with its pages; the others stay"


@pytest.mark.parametrize(
    "body",
    [
        {"status": "processing", "olderThanDays": 1},
        {"status": "pending", "olderThanDays": 1},
        {"status": "error", "olderThanDays": -1},
        {"status": "error"},
        {"status": "error", "olderThanDays": "ten"},
    ],
)
async def test_cleanup_refuses_unfinished_statuses_and_bad_ages(
    client: Client, admin_auth: dict[str, str], body: dict[str, Any]
) -> None:
    response = await client.post("/api/jobs/cleanup", json=body, headers=admin_auth)
    assert response.status_code == 400


async def test_cleanup_is_admin_only(client: Client, auth_for: TokenFactory) -> None:
    body = {"status": "error", "olderThanDays": 0}
    assert (await client.post("/api/jobs/cleanup", json=body, headers=auth_for("user_plain"))).status_code == 403
    assert (await client.post("/api/jobs/cleanup", json=body)).status_code == 401
