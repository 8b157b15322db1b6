"""Jobs end to end with PROVIDER=scrapecreators pointed at the documented-answer stub.

Through the HTTP API and a real worker: creators completed from profiles
(once per creator per job, within the call budget), keywords searched one by
one, Instagram past its first page, search options, and the failures the
provider documents.
"""

import asyncio
import csv
import io
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import create_pool
from service.enumerations import Platform
from service.providers.base import Page, Profile, ProfileRef, SearchSpec
from service.settings import Settings
from service.system_config import SystemConfig
from service.worker.enrichment import complete_page
from service.worker.runner import Worker
from tests.factories import create_campaign, fixtures
from tests.stubs import SCRAPECREATORS_KEY, Stub, doc, scrapecreators_stub

Client = AsyncTestClient[Any]
Job = dict[str, Any]
TYPE_TEST = "UCtypetest00000000000002"  # a channel the search gives without a handle


@pytest.fixture(scope="module")
def stub() -> Iterator[Stub]:
    with scrapecreators_stub() as running:
        yield running


@pytest.fixture
def calls(stub: Stub) -> Stub:
    return stub.reset()


@pytest.fixture(scope="module")
def sc_settings(module_database: str, stub: Stub) -> Settings:
    return Settings(
        database_url=module_database,
        auth_jwt_secret="p" * 40,
        run_worker=False,
        access_log=False,
        provider="scrapecreators",
        scrapecreators_base_url=stub.url,
        scrapecreators_api_key=SCRAPECREATORS_KEY,
    )


@pytest.fixture(scope="module")
async def db(module_database: str, sc_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(module_database, sc_settings)
    for category, key, value, kind in [
        ("worker", "poll_interval", "50ms", "duration"),
        ("worker", "retry_base_delay", "0s", "duration"),
        ("worker", "lease_duration", "5s", "duration"),
        ("api_limits", "max_api_calls_tiktok", "20", "number"),
        ("api_limits", "max_api_calls_instagram", "20", "number"),
        ("api_limits", "max_api_calls_youtube", "20", "number"),
    ]:
        await set_config(pool, category, key, value, kind)
    yield pool
    await pool.close()


async def set_config(pool: asyncpg.Pool, category: str, key: str, value: str, kind: str) -> None:
    async with pool.acquire() as conn:
        await fixtures.store_raw_config(
            conn, category=category, key=key, value=value, value_type=kind, is_hot_reloadable=True
        )


@pytest.fixture(scope="module")
async def api(module_database: str, sc_settings: Settings, db: asyncpg.Pool) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(sc_settings, module_database)) as test_client:
        yield test_client


@pytest.fixture
def owner(sc_settings: Settings) -> dict[str, str]:
    token = TokenVerifier.from_settings(sc_settings).issue(f"user_{uuid.uuid4().hex}")
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def worker(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[None]:
    """A worker process's job loop, with the provider the settings name (the stub)."""
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(pool, SystemConfig(pool), settings, concurrency=1).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def start(api: Client, auth: dict[str, str], slug: str, search_type: str = "keyword", **body: Any) -> Job:
    campaign = await create_campaign(api, auth, search_type=search_type)
    response = await api.post(f"/api/scraping/{slug}", json={"campaignId": campaign["id"], **body}, headers=auth)
    assert response.status_code == 201, response.text
    job: Job = response.json()
    return job


async def finished(api: Client, auth: dict[str, str], job_id: str, seconds: float = 30) -> Job:
    for _ in range(int(seconds / 0.05)):
        job: Job = (await api.get(f"/api/jobs/{job_id}", headers=auth)).json()
        if job["status"] not in ("pending", "processing"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


async def run_job(
    api: Client, db: asyncpg.Pool, settings: Settings, auth: dict[str, str], slug: str, **body: Any
) -> Job:
    search_type = "similar" if "targetUsername" in body else "keyword"
    job = await start(api, auth, slug, search_type, **body)
    async with worker(db, settings):
        return await finished(api, auth, job["id"])


async def creators_of(api: Client, auth: dict[str, str], job_id: str) -> dict[str, dict[str, Any]]:
    response = await api.get(f"/api/jobs/{job_id}/creators", params={"limit": 200}, headers=auth)
    assert response.status_code == 200, response.text
    return {c["creator"]["handle"]: c for c in response.json()["creators"]}


async def csv_of(api: Client, auth: dict[str, str], job_id: str) -> dict[str, dict[str, str]]:
    response = await api.get(f"/api/jobs/{job_id}/creators", params={"format": "csv"}, headers=auth)
    assert response.status_code == 200
    return {row["handle"].lstrip("'"): row for row in csv.DictReader(io.StringIO(response.text))}


async def test_youtube_keyword_creators_have_followers_bio_emails_and_engagement(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    job = await run_job(api, db, sc_settings, owner, "youtube", keywords=["keyboards"])
    assert (job["status"], job["searchParams"]) == ("completed", {"stopReason": "no_more_results"})
    # Two search pages, and one channel call per channel although @keeblab is on both pages.
    assert sorted(q["channelId"] for q in calls.calls_to("/v1/youtube/channel")) == [
        "UCkeeblab000000000000001",
        "UCtypetest00000000000002",
    ]
    assert job["processedRuns"] == 4
    creators = await creators_of(api, owner, job["id"])
    keeb = creators["keeblab"]
    assert keeb["creator"]["followers"] == 312000
    assert keeb["creator"]["bio"] == "Mechanical keyboard reviews. Business: hello@keeblab.com"
    assert keeb["creator"]["emails"] == ["hello@keeblab.com"]
    typetest = creators[TYPE_TEST]
    assert typetest["creator"]["followers"] == 45600, "from its subscriberCountText"
    assert typetest["creator"]["emails"] == ["contact@typetest.io"]
    assert float(typetest["engagementRate"]) > 0
    exported = await csv_of(api, owner, job["id"])
    assert exported[TYPE_TEST]["followers"] == "45600"
    assert exported[TYPE_TEST]["emails"] == "contact@typetest.io"
    assert exported[TYPE_TEST]["likes"] == "2100"
    assert exported["keeblab"]["bio"] == "Mechanical keyboard reviews. Business: hello@keeblab.com"
    assert float(exported["keeblab"]["engagement_rate"]) > 0


async def test_instagram_goes_past_its_first_page_and_completes_owners(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    job = await run_job(api, db, sc_settings, owner, "instagram", keywords=["skincare"])
    assert job["status"] == "completed"
    assert [q["page"] for q in calls.calls_to("/v2/instagram/reels/search")] == ["1", "2", "3"]
    assert sorted(q["userId"] for q in calls.calls_to("/v1/instagram/basic-profile")) == ["5101", "5102", "5103"]
    creators = await creators_of(api, owner, job["id"])
    assert set(creators) == {"glow.with.lee", "derm.dana", "skin.on.budget"}
    assert creators["derm.dana"]["creator"]["followers"] == 920000
    assert creators["glow.with.lee"]["creator"]["emails"] == ["lee@glowmail.com"]
    budget = creators["skin.on.budget"]["creator"]
    assert (budget["followers"], budget["bio"]) == (15500, ""), (
        "its profile is unknown (404): the reel's owner data stays"
    )


async def test_a_tiktok_search_with_two_keywords_covers_both(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    job = await run_job(
        api, db, sc_settings, owner, "tiktok", keywords=["fashion", "summer"], searchParams={"sortBy": "most-liked"}
    )
    assert job["status"] == "completed"
    assert job["searchParams"] == {"sortBy": "most-liked", "stopReason": "no_more_results"}
    assert [q["query"] for q in calls.calls_to("/v1/tiktok/search/keyword")] == ["fashion"] * 3 + ["summer"] * 2
    assert sorted(q["handle"] for q in calls.calls_to("/v1/tiktok/profile")) == [
        "ana.wears",
        "jo_thrifts",
        "mila.styles",
        "sunny.days",
    ], "one profile call per creator, mila.styles although found twice"
    assert job["processedRuns"] == 9
    assert {q["sort_by"] for q in calls.calls_to("/v1/tiktok/search/keyword")} == {"most-liked"}
    creators = await creators_of(api, owner, job["id"])
    assert {"jo_thrifts", "ana.wears", "sunny.days", "mila.styles"} <= set(creators)
    assert creators["sunny.days"]["creator"]["emails"] == ["hello@sunnydays.co"]
    assert creators["mila.styles"]["creator"]["followers"] == 184500, "the profile's count is the fresher one"
    assert job["aggregations"] == {"totalResults": 3, "totalCreators": 5, "averageCreatorsPerResult": 1.67}


async def test_similar_searches_complete_their_creators(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    tiktok = await run_job(api, db, sc_settings, owner, "tiktok", targetUsername="@stoolpresidente")
    creators = await creators_of(api, owner, tiktok["id"])
    assert creators["pizzaboss"]["creator"]["bio"] == "One bite reviews 🍕 contact: boss@pizzaboss.tv"
    assert creators["pizzaboss"]["creator"]["emails"] == ["boss@pizzaboss.tv"]
    instagram = await run_job(api, db, sc_settings, owner, "instagram", targetUsername="adrianhorning")
    creators = await creators_of(api, owner, instagram["id"])
    assert creators["itsallykrinsky"]["creator"]["followers"] == 40200
    assert creators["itsallykrinsky"]["creator"]["emails"] == ["tips@scrape.dev"]


async def test_profile_calls_stay_within_the_jobs_budget(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    await set_config(db, "api_limits", "max_api_calls_youtube", "2", "number")
    try:
        job = await run_job(api, db, sc_settings, owner, "youtube", keywords=["keyboards"])
    finally:
        await set_config(db, "api_limits", "max_api_calls_youtube", "20", "number")
    assert (job["status"], job["processedRuns"]) == ("completed", 2)
    assert job["searchParams"]["stopReason"] == "budget_exhausted"
    assert len(calls.calls_to("/v1/youtube/channel")) == 1
    creators = await creators_of(api, owner, job["id"])
    assert creators["keeblab"]["creator"]["followers"] == 312000
    assert creators[TYPE_TEST]["creator"]["followers"] == 0, "no call left to complete it"


async def test_an_unreadable_page_is_a_failed_attempt_and_then_a_readable_error(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    # max_step_attempts is 4 and the client tries 3 times per attempt: 12 answers that cannot be read.
    calls.script = [(200, b"<html>upstream error</html>", {})] * 12
    job = await run_job(api, db, sc_settings, owner, "tiktok", keywords=["fashion"])
    assert job["status"] == "error"
    assert job["error"] == "The scraping provider sent an unreadable answer (not JSON)"
    assert len(calls.calls_to("/v1/tiktok/search/keyword")) == 4


async def test_out_of_credits_ends_the_job_at_once(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub
) -> None:
    calls.script = [(402, doc("scrapecreators/errors/402.json"), {})]
    job = await run_job(api, db, sc_settings, owner, "youtube", keywords=["keyboards"])
    assert (job["status"], job["error"]) == ("error", "The scraping provider account is out of credits")


async def test_a_rate_limited_job_waits_at_least_retry_after(
    api: Client, db: asyncpg.Pool, sc_settings: Settings, owner: dict[str, str], calls: Stub, dsn: str
) -> None:
    calls.script = [(429, doc("scrapecreators/errors/429.json"), {"Retry-After": "600"})]
    job = await start(api, owner, "tiktok", keywords=["fashion"])
    try:
        async with worker(db, sc_settings):
            for _ in range(200):
                row = await internal(db, job["id"])
                if row["retry_in_seconds"] is not None:
                    break
                await asyncio.sleep(0.05)
        row = await internal(db, job["id"])
        assert row["attempts"] == 0, "a 429 is not a failed attempt"
        assert 590 <= row["retry_in_seconds"] <= 600
    finally:
        async with db.acquire() as conn:  # the provider's pause would hold up the module's other jobs
            await fixtures.let_time_pass(conn, job_id=job["id"], provider="scrapecreators")


async def internal(db: asyncpg.Pool, job_id: str) -> asyncpg.Record:
    async with db.acquire() as conn:
        row: asyncpg.Record = await fixtures.job_retry_state(conn, job_id=job_id)
        return row


async def test_items_of_an_unexpected_shape_are_counted_in_the_jobs_log_line(
    api: Client,
    db: asyncpg.Pool,
    sc_settings: Settings,
    owner: dict[str, str],
    calls: Stub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls.script = [(200, doc("scrapecreators/odd/tiktok_search_keyword_odd_items.json"), {})]
    with caplog.at_level(logging.INFO, logger="service.worker.jobs"):
        job = await run_job(api, db, sc_settings, owner, "tiktok", keywords=["summer"])
    assert job["status"] == "completed"
    assert any(
        f"job {job['id']}" in r.message and "3 item(s) of an unexpected shape skipped" in r.message
        for r in caplog.records
    )


@pytest.mark.parametrize(
    ("slug", "body", "details"),
    [
        (
            "tiktok",
            {"keywords": ["a"], "searchParams": {"datePosted": "last-week", "colour": "red"}},
            [
                (
                    "searchParams.datePosted",
                    "must be one of all-time, yesterday, this-week, this-month, last-3-months, last-6-months",
                ),
                ("searchParams.colour", "is not an option of a TikTok keyword search (options: datePosted, sortBy)"),
            ],
        ),
        (
            "instagram",
            {"keywords": ["a"], "searchParams": {"sortBy": "relevance"}},
            [("searchParams.sortBy", "is not an option of a Instagram keyword search (options: datePosted)")],
        ),
        (
            "youtube",
            {"keywords": ["a"], "searchParams": {"uploadDate": 7}},
            [("searchParams.uploadDate", "must be one of today, this_week, this_month, this_year")],
        ),
        ("youtube", {"keywords": ["a"], "searchParams": ["x"]}, None),
    ],
)
async def test_bad_search_options_are_400_with_field_details_and_create_nothing(
    api: Client, owner: dict[str, str], slug: str, body: dict[str, Any], details: list[tuple[str, str]] | None
) -> None:
    campaign = await create_campaign(api, owner)
    response = await api.post(f"/api/scraping/{slug}", json={"campaignId": campaign["id"], **body}, headers=owner)
    assert response.status_code == 400, response.text
    if details is not None:
        assert [(d["field"], d["message"]) for d in response.json()["details"]] == details
    listed = (await api.get("/api/jobs", params={"campaignId": campaign["id"]}, headers=owner)).json()
    assert listed["jobs"] == []


async def test_search_options_are_stored_and_echoed(api: Client, owner: dict[str, str]) -> None:
    job = await start(api, owner, "youtube", keywords=["a"], searchParams={"uploadDate": "this_week"})
    assert job["searchParams"] == {"uploadDate": "this_week"}
    again = (await api.get(f"/api/jobs/{job['id']}", headers=owner)).json()
    assert again["searchParams"] == {"uploadDate": "this_week"}
    empty = await start(api, owner, "youtube", keywords=["a"], searchParams={})
    assert empty["searchParams"] is None


class CountingProfiles:
    """A provider whose profile calls are counted; search is not used by complete_page."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        raise AssertionError("not called")

    async def profile(self, platform: Platform, ref: ProfileRef) -> Profile:
        self.asked.append(ref.key)
        return Profile(followers=7, bio="bio")

    async def close(self) -> None:
        pass


async def test_profiles_of_a_job_deleted_meanwhile_are_dropped_quietly(
    api: Client, db: asyncpg.Pool, owner: dict[str, str]
) -> None:
    job = await start(api, owner, "tiktok", keywords=["fashion"])
    response = await api.delete(f"/api/campaigns/{job['campaignId']}", headers=owner)
    assert response.status_code == 200
    found = {"creator": {"handle": "a", "followers": 0, "bio": "", "emails": []}, "video": {}, "hashtags": []}
    page = Page([found], None, False, lookups=(ProfileRef(key="tiktok:a", handle="a"),))
    provider = CountingProfiles()
    done = await complete_page(db, provider, uuid.UUID(job["id"]), "TikTok", page, wanted=10, calls_left=5)
    assert provider.asked == ["tiktok:a"]
    assert (done.calls, done.creators[0]["creator"]["followers"]) == (2, 7)
