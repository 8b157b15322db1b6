"""Finding jobs: filters, sorting, pages, keyword search and statistics."""

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.api.job_shapes import JobPage, JobStats
from service.enumerations import Platform
from service.errors import InvalidInput
from service.validation import parse_instant
from tests.factories import add_job, create_campaign

Client = AsyncTestClient[Any]
DAY = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# name: (campaign, keywords, platform, status, processed results, progress, days after DAY)
JOBS: dict[str, tuple[int, list[str], Platform, str, int, int, int]] = {
    "a": (0, ["Summer Fashion", "linen"], "TikTok", "completed", 100, 100, 0),
    "b": (0, ["fitness"], "Instagram", "error", 40, 40, 1),
    "c": (1, ["summer fashion"], "YouTube", "processing", 60, 60, 2),
    "d": (1, ["food"], "TikTok", "pending", 0, 0, 3),
    "e": (0, ["FITNESS", "home workouts"], "TikTok", "completed", 80, 100, 4),
}


@pytest.fixture
async def jobs(client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool) -> dict[str, Any]:
    """The JOBS above for the test's user; returns their ids and the campaign ids."""
    campaigns = [(await create_campaign(client, auth, name=f"c{i}"))["id"] for i in range(2)]
    ids = {}
    for name, (campaign, keywords, platform, status, results, progress, days) in JOBS.items():
        ids[name] = await add_job(
            pool,
            {"userId": user_id, "id": campaigns[campaign]},
            keywords=keywords,
            platform=platform,
            status=status,
            processed_results=results,
            progress=progress,
            created_at=DAY + timedelta(days=days),
        )
    return {"ids": ids, "campaigns": campaigns}


async def listed(client: Client, auth: dict[str, str], jobs: dict[str, Any], **params: Any) -> list[str]:
    response = await client.get("/api/jobs", params=params, headers=auth)
    assert response.status_code == 200, response.text
    names = {v: k for k, v in jobs["ids"].items()}
    return [names[j["id"]] for j in response.json()["jobs"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["e", "d", "c", "b", "a"]),
        ({"status": "completed"}, ["e", "a"]),
        ({"platform": "TikTok"}, ["e", "d", "a"]),
        ({"platform": "tiktok"}, ["e", "d", "a"]),
        ({"createdFrom": "2026-03-03"}, ["e", "d", "c"]),
        ({"createdTo": "2026-03-02"}, ["b", "a"]),
        ({"createdFrom": "2026-03-02T12:00:00Z", "createdTo": "2026-03-04T12:00:00+00:00"}, ["d", "c", "b"]),
        ({"status": "completed", "platform": "TikTok", "createdFrom": "2026-03-02"}, ["e"]),
        ({"status": "cancelled"}, []),
    ],
)
async def test_filters_alone_and_combined(
    client: Client, auth: dict[str, str], jobs: dict[str, Any], params: dict[str, Any], expected: list[str]
) -> None:
    assert await listed(client, auth, jobs, **params) == expected


async def test_filter_by_campaign(client: Client, auth: dict[str, str], jobs: dict[str, Any]) -> None:
    assert await listed(client, auth, jobs, campaignId=jobs["campaigns"][1]) == ["d", "c"]


@pytest.mark.parametrize(
    ("sort_by", "ascending"),
    [
        ("createdAt", ["a", "b", "c", "d", "e"]),
        ("updatedAt", ["a", "b", "c", "e", "d"]),
        ("processedResults", ["d", "b", "c", "e", "a"]),
        ("progress", ["d", "b", "c", "e", "a"]),
    ],
)
async def test_every_sort_key_both_ways(
    client: Client, auth: dict[str, str], jobs: dict[str, Any], sort_by: str, ascending: list[str]
) -> None:
    assert await listed(client, auth, jobs, sortBy=sort_by, sortOrder="asc") == ascending
    descending = await listed(client, auth, jobs, sortBy=sort_by, sortOrder="desc")
    if sort_by == "progress":  # a and e tie at 100: ties go newest first either way
        assert descending == ["e", "a", "c", "b", "d"]
    else:
        assert descending == list(reversed(ascending))


async def test_pages_and_totals(client: Client, auth: dict[str, str], jobs: dict[str, Any]) -> None:
    response = await client.get("/api/jobs", params={"limit": 2, "page": 2, "sortOrder": "asc"}, headers=auth)
    page = msgspec.json.decode(response.content, type=JobPage)
    assert [str(j.id) for j in page.jobs] == [jobs["ids"]["c"], jobs["ids"]["d"]]
    assert (page.pagination.total, page.pagination.pages, page.pagination.current_page) == (5, 3, 2)
    filtered = (await client.get("/api/jobs", params={"platform": "TikTok", "limit": 1}, headers=auth)).json()
    assert filtered["pagination"] == {"total": 3, "pages": 3, "currentPage": 1, "limit": 1}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sortBy": "keywords"}, "Invalid value for sortBy: Invalid enum value 'keywords'"),
        ({"sortOrder": "up"}, "Invalid value for sortOrder: Invalid enum value 'up'"),
        ({"status": "done"}, "status"),
        ({"platform": "myspace"}, "Invalid value for platform: Invalid enum value 'myspace'"),
        ({"campaignId": "123"}, "Invalid value for campaignId: Invalid UUID"),
        ({"createdFrom": "last tuesday"}, "createdFrom must be an ISO 8601 date"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"page": 0}, "page"),
    ],
)
async def test_bad_list_parameters_are_400(
    client: Client, auth: dict[str, str], params: dict[str, Any], message: str
) -> None:
    response = await client.get("/api/jobs", params=params, headers=auth)
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_lists_show_only_the_callers_jobs(
    client: Client, other_auth: dict[str, str], jobs: dict[str, Any]
) -> None:
    assert (await client.get("/api/jobs", headers=other_auth)).json()["pagination"]["total"] == 0
    assert (await client.get("/api/jobs/search", params={"keyword": "fitness"}, headers=other_auth)).json() == {
        "jobs": []
    }


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("fitness", ["e", "b"]),
        ("Fitness", ["e", "b"]),
        ("summer fashion", ["c", "a"]),
        ("  SUMMER FASHION ", ["c", "a"]),
        ("summer", []),
        ("home workouts", ["e"]),
    ],
)
async def test_keyword_search_matches_whole_keywords_ignoring_case(
    client: Client, auth: dict[str, str], jobs: dict[str, Any], keyword: str, expected: list[str]
) -> None:
    response = await client.get("/api/jobs/search", params={"keyword": keyword}, headers=auth)
    assert response.status_code == 200
    names = {v: k for k, v in jobs["ids"].items()}
    assert [names[j["id"]] for j in response.json()["jobs"]] == expected


@pytest.mark.parametrize("params", [{}, {"keyword": "   "}, {"keyword": "x" * 101}, {"keyword": "a", "limit": 0}])
async def test_bad_searches_are_400(client: Client, auth: dict[str, str], params: dict[str, Any]) -> None:
    assert (await client.get("/api/jobs/search", params=params, headers=auth)).status_code == 400


async def test_stats_over_a_known_set(client: Client, auth: dict[str, str], jobs: dict[str, Any]) -> None:
    response = await client.get("/api/jobs/stats", headers=auth)
    assert response.status_code == 200
    stats = msgspec.json.decode(response.content, type=JobStats)
    assert (stats.avg_results, stats.total_results, stats.max_results) == (56.0, 280, 100)
    assert stats.by_status == {"pending": 1, "processing": 1, "completed": 2, "error": 1, "cancelled": 0, "timeout": 0}
    assert stats.by_platform == {"TikTok": 3, "Instagram": 1, "YouTube": 1}


async def test_stats_without_jobs(client: Client, other_auth: dict[str, str]) -> None:
    stats = (await client.get("/api/jobs/stats", headers=other_auth)).json()
    assert (stats["avgResults"], stats["totalResults"], stats["maxResults"]) == (0, 0, 0)


def test_instants() -> None:
    assert parse_instant("2026-03-01", "x") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_instant("2026-03-01", "x", end_of_day=True).date() == datetime(2026, 3, 1).date()
    assert parse_instant("2026-03-01T10:00:00", "x").tzinfo == UTC
    assert parse_instant("2026-03-01T10:00:00+02:00", "x").utcoffset() == timedelta(hours=2)
    # RFC 3339 (format: date-time) lets T and Z be lowercase.
    assert parse_instant("2026-03-01t10:00:00z", "x") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        parse_instant("03/01/2026", "x")
