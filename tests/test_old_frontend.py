"""The old frontend's requests, replayed exactly as its browser code sends them.

The frontend is `Sanchay-T/influencer-platform-app` at commit
8087a511f6966fc1b8fc983da063c4d07aa3c45f (its docs/database-deep-dive.md is our
design document). Each test names the file and line of the request it
mirrors and asserts every response field that code reads. As the browser
sends them: authentication is the `__session` cookie alone (no request sets
Authorization); POST and PATCH carry `Content-Type: application/json` and the
page's `Origin`; GETs carry no header (except the two that set a
Content-Type); `<img>` loads carry a `Referer` and no `Origin`. Bodies are
byte for byte what `JSON.stringify` makes of the objects the code builds.

The campaign detail page (app/campaigns/[id]/page.tsx:16) is not here: it
reads the old database directly from a React server component, not through
HTTP.
"""

import csv
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import queries
from service.enumerations import Platform
from service.providers.base import SearchSpec
from service.providers.simulated import make_creator
from service.settings import Settings
from tests.conftest import FRONTEND_ORIGIN
from tests.factories import fixtures
from tests.image_server import JPEG, image_server

Client = AsyncTestClient[Any]
PAGE_SIZE = 20
NO_BODY = object()
FINISHED = ("completed", "error", "timeout")  # client-page.tsx:85 stops polling on these


class Browser:
    """One signed-in user's browser tab on the old frontend."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.cookie = {"Cookie": f"__session={token}"}

    async def get(self, url: str, **headers: str) -> Any:
        """fetch(url): a GET with no headers of its own (headers= for the few that set some)."""
        return await self.client.get(url, headers={**self.cookie, **headers})

    async def send(self, method: str, url: str, body: Any = NO_BODY) -> Any:
        """fetch(url, {method, headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})."""
        headers = {**self.cookie, "Origin": FRONTEND_ORIGIN}
        content = b""
        if body is not NO_BODY:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body, separators=(",", ":")).encode()
        return await self.client.request(method, url, content=content, headers=headers)

    async def image(self, src: str) -> Any:
        """An <img src=...> load: the cookie and the page as Referer, no Origin."""
        referer = f"{FRONTEND_ORIGIN}/campaigns/search/keyword"
        return await self.client.get(src, headers={**self.cookie, "Referer": referer, "Accept": "image/*,*/*;q=0.8"})


@pytest.fixture
def browser(client: Client, verifier: TokenVerifier, user_id: str) -> Browser:
    return Browser(client, verifier.issue(user_id))


@pytest.fixture
def other_browser(client: Client, verifier: TokenVerifier, other_user_id: str) -> Browser:
    return Browser(client, verifier.issue(other_user_id))


@pytest.fixture
def admin_browser(client: Client, verifier: TokenVerifier) -> Browser:
    return Browser(client, verifier.issue(f"admin_{uuid.uuid4().hex}", admin=True))


def is_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


async def new_campaign(browser: Browser, search_type: str = "keyword") -> dict[str, Any]:
    """campaign-form.jsx:50, as the campaign's id reaches the search pages through sessionStorage."""
    body = {"name": "Summer Campaign 2024", "description": "", "searchType": search_type}
    response = await browser.send("POST", "/api/campaigns", body)
    assert response.status_code == 201, response.text
    campaign: dict[str, Any] = response.json()
    return campaign


def spec_of(job: dict[str, Any]) -> SearchSpec:
    return SearchSpec(
        platform=job["platform"], keywords=job["keywords"], target_username=job["targetUsername"], region="US"
    )


async def store_pages(pool: asyncpg.Pool, job: dict[str, Any], pages: range, *, status: str) -> int:
    """Store result pages of the job's simulated creators and move it on, as a worker does; the creator count."""
    spec = spec_of(job)
    async with pool.acquire() as conn:
        for page in pages:
            creators = [make_creator(spec, page * PAGE_SIZE + i) for i in range(PAGE_SIZE)]
            await fixtures.insert_result_fixture(conn, job_id=job["id"], page=page, creators=creators)
        stored = PAGE_SIZE * pages.stop
        progress = 100 if status == "completed" else min(99, 100 * stored / job["targetResults"])
        await fixtures.advance_job(conn, job_id=job["id"], status=status, processed_results=stored, progress=progress)
    return stored


async def start_keyword_search(browser: Browser, slug: str, campaign_id: str, **extra: Any) -> dict[str, Any]:
    """app/campaigns/search/keyword/page.jsx:120: exactly three keys."""
    body = {"campaignId": campaign_id, "keywords": ["vegan recipes", "#fitness"], "targetResults": 100, **extra}
    response = await browser.send("POST", f"/api/scraping/{slug}", body)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


async def start_similar_search(browser: Browser, slug: str, campaign_id: str) -> dict[str, Any]:
    """similar-search-form.jsx:84: exactly {username, campaignId}."""
    response = await browser.send("POST", f"/api/scraping/{slug}", {"username": "nike", "campaignId": campaign_id})
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def assert_keyword_creator(entry: dict[str, Any]) -> None:
    """What keyword-search/search-results.jsx:376-490 and search-progress.jsx:706-766 read of a creator."""
    creator, video = entry["creator"], entry["video"]
    assert isinstance(creator["name"], str)
    assert creator["name"]
    assert isinstance(creator["avatarUrl"] or creator["profilePicUrl"], str)
    assert creator["profilePicUrl"] == creator["avatarUrl"]
    assert isinstance(creator["uniqueId"], str)
    assert creator["uniqueId"] == creator["handle"]
    assert isinstance(creator["bio"], str)
    assert isinstance(creator["emails"], list)
    assert all(isinstance(e, str) for e in creator["emails"])
    assert isinstance(creator["followers"], int)
    assert isinstance(video["description"], str)
    assert isinstance(video["url"], str)
    assert isinstance(video["statistics"]["views"], int)


def assert_healthy_poll(data: dict[str, Any], status: str) -> None:
    """search-progress.jsx:164-191: a truthy `error` stops polling; then status, progress and counts."""
    assert not data["error"]
    assert "job" not in data  # jobData = data.job || data
    assert data["status"] == status
    assert isinstance(data["progress"], int | float)
    assert 0 <= data["progress"] <= 100
    assert isinstance(data["processedResults"], int)
    assert isinstance(data["targetResults"], int)


# 1. Campaigns


async def test_list_campaigns(browser: Browser) -> None:
    """app/components/campaigns/CampaignList.jsx:48 (reads :55-56, campaign-card.jsx:15-43)."""
    await new_campaign(browser)
    await new_campaign(browser, "similar")
    response = await browser.get("/api/campaigns?page=1&limit=12")
    assert response.status_code == 200
    data = response.json()
    assert [c["searchType"] for c in data["campaigns"]] == ["similar", "keyword"]
    for campaign in data["campaigns"]:
        assert is_uuid(campaign["id"])
        assert campaign["name"] == "Summer Campaign 2024"
        assert campaign["description"] in (None, "")
        assert "T" in campaign["createdAt"]
        assert campaign["createdAt"].endswith("+00:00")
    assert data["pagination"] == {"total": 2, "pages": 1, "currentPage": 1, "limit": 12}
    # The next page is asked for with the limit the server echoed (CampaignList.jsx:201-248).
    following = await browser.get(f"/api/campaigns?page=2&limit={data['pagination']['limit']}")
    assert following.json()["pagination"] == {"total": 2, "pages": 1, "currentPage": 2, "limit": 12}


async def test_create_campaign(browser: Browser) -> None:
    """app/components/campaigns/campaign-form.jsx:50 (reads campaign.id and campaign.name at :70-78)."""
    for search_type in ("keyword", "similar"):
        campaign = await new_campaign(browser, search_type)
        assert is_uuid(campaign["id"])
        assert (campaign["name"], campaign["searchType"]) == ("Summer Campaign 2024", search_type)
    refused = await browser.send("POST", "/api/campaigns", {"name": " ", "description": "", "searchType": "keyword"})
    assert refused.status_code == 400
    assert isinstance(refused.json()["error"], str)  # the toast shows campaign.error (:65-67)


async def test_campaign_name_for_the_breadcrumbs(browser: Browser, other_browser: Browser) -> None:
    """keyword-search/search-results.jsx:93 and similar-search/search-results.jsx:33 (read data.name)."""
    campaign = await new_campaign(browser)
    response = await browser.get(f"/api/campaigns/{campaign['id']}")
    assert (response.status_code, response.json()["name"]) == (200, "Summer Campaign 2024")
    assert "name" not in (await other_browser.get(f"/api/campaigns/{campaign['id']}")).json()


@pytest.mark.parametrize(
    ("slug", "search_type", "platform"),
    [
        ("tiktok", "keyword", "TikTok"),
        ("instagram-hashtag", "keyword", "Instagram"),
        ("tiktok-similar", "similar", "TikTok"),
    ],
)
async def test_active_job_polling_on_the_campaign_page(
    browser: Browser, pool: asyncpg.Pool, slug: str, search_type: str, platform: str
) -> None:
    """app/campaigns/[id]/client-page.tsx:73: polls /api/scraping/{job.platform.toLowerCase()} whatever
    the search type (reads error :76, status :85-93, progress :86-91)."""
    campaign = await new_campaign(browser, search_type)
    start = start_keyword_search if search_type == "keyword" else start_similar_search
    job = await start(browser, slug, campaign["id"])
    await store_pages(pool, job, range(1), status="processing")
    response = await browser.get(f"/api/scraping/{platform.lower()}?jobId={job['id']}")
    assert response.status_code == 200
    data = response.json()
    assert_healthy_poll(data, "processing")
    assert data["progress"] == 100 * PAGE_SIZE / job["targetResults"]
    assert data["status"] not in FINISHED


async def test_a_finished_job_stops_the_polling(browser: Browser, pool: asyncpg.Pool) -> None:
    """client-page.tsx:76-93 and search-progress.jsx:164-172 stop on a truthy `error` or on
    completed/error/timeout; a cancelled or timed-out job must therefore carry an error text."""
    campaign = await new_campaign(browser)
    cancelled = await start_keyword_search(browser, "tiktok", campaign["id"])
    assert (await browser.send("PATCH", f"/api/jobs/{cancelled['id']}", {"action": "cancel"})).status_code == 200
    timed_out = await start_keyword_search(browser, "youtube", campaign["id"])
    async with pool.acquire() as conn:
        await fixtures.expire_job(conn, job_id=timed_out["id"])
        await queries.sweep_timed_out_jobs(conn)
    for job, status in ((cancelled, "cancelled"), (timed_out, "timeout")):
        data = (await browser.get(f"/api/scraping/tiktok?jobId={job['id']}")).json()
        assert data["status"] == status
        assert isinstance(data["error"], str)
        assert data["error"]


# 2. Keyword search


@pytest.mark.parametrize(
    ("slug", "platform"), [("tiktok", "TikTok"), ("instagram-hashtag", "Instagram"), ("youtube", "YouTube")]
)
async def test_start_a_keyword_search(browser: Browser, slug: str, platform: str) -> None:
    """app/campaigns/search/keyword/page.jsx:120 (reads only data.jobId at :146)."""
    campaign = await new_campaign(browser)
    started = await start_keyword_search(browser, slug, campaign["id"])
    assert is_uuid(started["jobId"])
    assert started["jobId"] == started["id"]
    assert isinstance(started["message"], str)
    assert started["message"]
    assert (started["platform"], started["keywords"], started["status"]) == (
        platform,
        ["vegan recipes", "#fitness"],
        "pending",
    )
    # The slider goes from 100 to 1000 in steps of 100 (keyword-search-form.jsx:107-112).
    for target in (300, 1000):
        again = await start_keyword_search(browser, slug, campaign["id"], targetResults=target)
        assert again["targetResults"] == target


async def test_a_refused_start_has_an_error_for_the_toast(browser: Browser, other_browser: Browser) -> None:
    """keyword/page.jsx:134-137 toasts error.error."""
    campaign = await new_campaign(browser)
    body = {"campaignId": campaign["id"], "keywords": ["x"], "targetResults": 100}
    for who, expected in ((other_browser, 404), (browser, 201)):
        response = await who.send("POST", "/api/scraping/tiktok", body)
        assert response.status_code == expected
    similar = await new_campaign(browser, "similar")
    wrong = await browser.send("POST", "/api/scraping/instagram-hashtag", {**body, "campaignId": similar["id"]})
    assert wrong.status_code == 409  # the campaign takes the other kind of search (any non-2xx toasts)
    assert isinstance(wrong.json()["error"], str)


@pytest.mark.parametrize("platform", ["TikTok", "Instagram", "YouTube"])
async def test_first_and_final_results_fetch(browser: Browser, pool: asyncpg.Pool, platform: Platform) -> None:
    """keyword-search/search-results.jsx:60 (first fetch) and :143 (final fetch): from the campaign page
    and after completion the path is always /api/scraping/tiktok, whatever the platform; both reduce
    every data.results[].creators (:69-71, :146-148) and read the table's fields (:376-490)."""
    slug = {"TikTok": "tiktok", "Instagram": "instagram-hashtag", "YouTube": "youtube"}[platform]
    campaign = await new_campaign(browser)
    job = await start_keyword_search(browser, slug, campaign["id"])
    stored = await store_pages(pool, job, range(3), status="completed")
    for path in ("tiktok", slug):
        response = await browser.get(f"/api/scraping/{path}?jobId={job['id']}")
        assert response.status_code == 200
        data = response.json()
        assert_healthy_poll(data, "completed")
        creators = [c for result in data["results"] for c in result["creators"]]
        assert len(creators) == stored
        for entry in creators:
            assert_keyword_creator(entry)
            assert entry["platform"] == platform


async def test_progress_polling_of_a_keyword_search(browser: Browser, pool: asyncpg.Pool) -> None:
    """keyword-search/search-progress.jsx:118: intermediate results reduce all data.results[].creators
    (:258-383), completion hands on data.results[0].creators only (:386-396)."""
    campaign = await new_campaign(browser)
    job = await start_keyword_search(browser, "instagram-hashtag", campaign["id"])
    url = f"/api/scraping/instagram-hashtag?jobId={job['id']}"
    pending = (await browser.get(url)).json()
    assert_healthy_poll(pending, "pending")
    assert pending["results"] == []

    await store_pages(pool, job, range(2), status="processing")
    processing = (await browser.get(url)).json()
    assert_healthy_poll(processing, "processing")
    assert processing["processedResults"] == 40
    assert len(processing["results"][0]["creators"]) == 40
    for entry in processing["results"][0]["creators"][-5:]:  # the last five shown (:706-766)
        assert_keyword_creator(entry)

    await store_pages(pool, job, range(2, 5), status="completed")
    completed = (await browser.get(url)).json()
    assert_healthy_poll(completed, "completed")
    assert len(completed["results"]) == 1
    merged = completed["results"][0]["creators"]
    detail = (await browser.get(f"/api/jobs/{job['id']}")).json()
    assert len(detail["results"]) == 5  # the jobs route keeps one result per page
    assert [c["creator"]["handle"] for c in merged] == [
        c["creator"]["handle"] for result in detail["results"] for c in result["creators"]
    ]


# 3. Onboarding


async def test_onboarding_through_the_modal(browser: Browser) -> None:
    """app/page.js:27 (status; reads onboardingStep :39 and the answers as existingData :45-55), then
    app/components/onboarding/onboarding-modal.tsx:51 (step 1), :93 (step 2) and :123 (complete);
    the same bodies as app/onboarding/step-1/page.tsx:127, step-2/page.tsx:134, complete/page.tsx:93."""
    before = await browser.get("/api/onboarding/status")
    assert before.status_code == 404
    assert isinstance(before.json()["error"], str)  # response.json() comes before the ok check

    blank = await browser.send("PATCH", "/api/onboarding/step-1", {"fullName": "  ", "businessName": "x"})
    assert blank.status_code == 400
    assert isinstance(blank.json()["error"], str)

    one = await browser.send(
        "PATCH", "/api/onboarding/step-1", {"fullName": "Ada Lovelace", "businessName": "Acme Labs"}
    )
    assert (one.status_code, one.json()["success"]) == (200, True)
    status = (await browser.get("/api/onboarding/status")).json()
    assert set(status) == {
        "userId",
        "onboardingStep",
        "fullName",
        "businessName",
        "brandDescription",
        "signupTimestamp",
    }
    assert (status["onboardingStep"], status["fullName"], status["businessName"]) == (
        "info_captured",
        "Ada Lovelace",
        "Acme Labs",
    )

    brand = "We make plant-based snacks for busy people who still care what they eat."
    two = await browser.send("PATCH", "/api/onboarding/step-2", {"brandDescription": brand})
    assert (two.status_code, two.json()["success"]) == (200, True)
    status = (await browser.get("/api/onboarding/status")).json()
    assert (status["onboardingStep"], status["brandDescription"]) == ("intent_captured", brand)

    done = await browser.send("PATCH", "/api/onboarding/complete", {"completed": True})
    assert done.status_code == 200
    assert (await browser.get("/api/onboarding/status")).json()["onboardingStep"] == "completed"


# 4. Similar search


@pytest.mark.parametrize(
    ("slug", "platform"), [("instagram", "Instagram"), ("tiktok-similar", "TikTok"), ("youtube-similar", "YouTube")]
)
async def test_start_a_similar_search(browser: Browser, slug: str, platform: str) -> None:
    """similar-search/similar-search-form.jsx:84 (reads only data.jobId at :105)."""
    campaign = await new_campaign(browser, "similar")
    started = await start_similar_search(browser, slug, campaign["id"])
    assert is_uuid(started["jobId"])
    assert started["jobId"] == started["id"]
    assert isinstance(started["message"], str)
    assert (started["platform"], started["targetUsername"], started["keywords"]) == (platform, "nike", None)


async def test_a_similar_search_without_a_campaign_is_400(browser: Browser) -> None:
    """similar-search-form.jsx:84 sends campaignId null when neither the URL nor sessionStorage has one
    (the toast shows data.error, :93-97)."""
    response = await browser.send("POST", "/api/scraping/tiktok-similar", {"username": "nike", "campaignId": None})
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize(
    ("slug", "platform"), [("instagram", "Instagram"), ("tiktok-similar", "TikTok"), ("youtube-similar", "YouTube")]
)
async def test_similar_polling_and_results(browser: Browser, pool: asyncpg.Pool, slug: str, platform: str) -> None:
    """keyword-search/search-progress.jsx:92-96,118 polls the similar slugs; completion hands on
    data.results[0].creators (:386-396) to similar-search/search-results.jsx, whose table reads the
    flat fields (:270-350; `name` for YouTube at :303) and whose progress card reads the nested ones."""
    campaign = await new_campaign(browser, "similar")
    job = await start_similar_search(browser, slug, campaign["id"])
    url = f"/api/scraping/{slug}?jobId={job['id']}"

    await store_pages(pool, job, range(1), status="processing")
    processing = (await browser.get(url)).json()
    assert_healthy_poll(processing, "processing")
    assert len(processing["results"][0]["creators"]) == 20
    await store_pages(pool, job, range(1, 3), status="completed")
    data = (await browser.get(url)).json()
    assert_healthy_poll(data, "completed")
    creators = data["results"][0]["creators"]
    assert len(creators) == 60  # every page, not only the first

    for entry in creators:
        for field in ("id", "username", "full_name", "name", "handle", "profile_pic_url", "profileUrl", "bio"):
            assert isinstance(entry[field], str), field
        assert isinstance(entry["is_verified"], bool)
        assert isinstance(entry["is_private"], bool)
        assert isinstance(entry["emails"], list)
        assert isinstance(entry["followerCount"], int)
        assert entry["username"] == entry["handle"] == entry["creator"]["handle"]
        assert entry["profile_pic_url"] == entry["creator"]["avatarUrl"]
        assert entry["profileUrl"].startswith("https://www." + platform.lower() + ".com/")
        assert entry["handle"] in entry["profileUrl"]
        nested = entry["creator"]
        assert (nested["uniqueId"], nested["profilePicUrl"]) == (entry["handle"], nested["avatarUrl"])
        assert isinstance(nested["name"], str)
        assert isinstance(nested["followers"], int)
    assert len({entry["id"] for entry in creators}) == len(creators)  # the table's React keys (:275)


# 5. Export


def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_export_a_campaign_or_a_job(browser: Browser, other_browser: Browser, pool: asyncpg.Pool) -> None:
    """app/components/campaigns/export-button.tsx:34: ?campaignId= when the component has one
    (keyword results, :25), else ?jobId= (similar results, :28); a blob of size 0 is an error (:58-59)."""
    campaign = await new_campaign(browser)
    first = await start_keyword_search(browser, "tiktok", campaign["id"])
    second = await start_keyword_search(browser, "instagram-hashtag", campaign["id"])
    await store_pages(pool, first, range(2), status="completed")
    await store_pages(pool, second, range(1), status="processing")

    whole = await browser.get(f"/api/export/csv?campaignId={campaign['id']}")
    assert whole.status_code == 200
    assert whole.headers["content-type"].startswith("text/csv")
    rows = csv_rows(whole)
    # Each job's creators once each, as the job export has them, oldest job first.
    per_job = [csv_rows(await browser.get(f"/api/jobs/{job['id']}/creators?format=csv")) for job in (first, second)]
    assert rows == per_job[0] + per_job[1]
    assert {r["platform"] for r in per_job[0]} == {"TikTok"}
    assert {r["platform"] for r in per_job[1]} == {"Instagram"}
    assert len(rows) > 50  # 60 entries, a few handles found twice

    one = await browser.get(f"/api/export/csv?jobId={second['id']}")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/csv")
    assert csv_rows(one) == per_job[1]
    both = await browser.get(f"/api/export/csv?campaignId={campaign['id']}&jobId={second['id']}")
    assert csv_rows(both) == rows  # the campaign wins

    for refused, status in (
        (await other_browser.get(f"/api/export/csv?campaignId={campaign['id']}"), 404),
        (await other_browser.get(f"/api/export/csv?jobId={first['id']}"), 404),
        (await browser.get("/api/export/csv"), 400),
        (await browser.get("/api/export/csv?jobId=not-a-job"), 400),
        (await browser.get(f"/api/export/csv?campaignId={campaign['id']}&jobId=not-a-job"), 400),
    ):
        assert refused.status_code == status
        assert isinstance(refused.json()["error"], str)  # errorData.error (:37-51)


async def test_an_empty_campaign_exports_the_header(browser: Browser) -> None:
    """export-button.tsx:58-59 refuses an empty blob: a campaign without creators still gets the header row."""
    campaign = await new_campaign(browser)
    response = await browser.get(f"/api/export/csv?campaignId={campaign['id']}")
    assert response.status_code == 200
    assert response.text.startswith("platform,handle,name,")
    assert csv_rows(response) == []


async def test_the_campaign_export_is_formula_safe(browser: Browser, pool: asyncpg.Pool) -> None:
    """export-button.tsx:34 downloads a file people open in spreadsheets: the campaign export neutralises
    formulas as the job export does, so these cells show as text."""
    campaign = await new_campaign(browser)
    job = await start_keyword_search(browser, "tiktok", campaign["id"])
    hostile = make_creator(spec_of(job), 0)
    hostile["creator"] |= {"name": '=HYPERLINK("https://evil.example","x")', "bio": "+1+cmd|' /C calc'!A0"}
    async with pool.acquire() as conn:
        await fixtures.insert_result_fixture(conn, job_id=job["id"], page=0, creators=[hostile])
    rows = csv_rows(await browser.get(f"/api/export/csv?campaignId={campaign['id']}"))
    assert (rows[0]["name"], rows[0]["bio"]) == ('\'=HYPERLINK("https://evil.example","x")', "'+1+cmd|' /C calc'!A0")


# 6. Image proxy


@pytest.fixture(scope="module")
async def proxied(settings: Settings, dsn: str, verifier: TokenVerifier) -> AsyncIterator[tuple[Client, str]]:
    """The app with a local image server allowed as its test origin (tests/test_image_proxy.py has the rest)."""
    with image_server() as origin:
        app = create_app(msgspec.structs.replace(settings, image_proxy_test_origin=origin), dsn, verifier)
        async with AsyncTestClient(app=app) as client:
            yield client, origin


async def test_avatars_through_the_proxy(proxied: tuple[Client, str], verifier: TokenVerifier, user_id: str) -> None:
    """keyword-search/search-results.jsx:384, keyword-search/search-progress.jsx:709 and
    similar-search/search-results.jsx:94: `/api/proxy/image?url=${encodeURIComponent(avatarUrl)}`
    as an <img>; only whether the image loads is read (onError hides it)."""
    client, origin = proxied
    browser = Browser(client, verifier.issue(user_id))
    loaded = await browser.image(f"/api/proxy/image?url={quote(f'{origin}/a.jpg', safe='')}")
    assert (loaded.status_code, loaded.headers["content-type"], loaded.content) == (200, "image/jpeg", JPEG)
    for url in ("", "http://p16-sign-va.tiktokcdn.com/a.jpg", "https://evil.example/a.jpg"):
        refused = await browser.image(f"/api/proxy/image?url={quote(url, safe='')}")
        assert refused.status_code == 400
        assert not refused.headers["content-type"].startswith("image/")


# 7. Profile


async def test_profile_page(browser: Browser) -> None:
    """app/profile/page.tsx:52 (GET with a Content-Type header; reads name, companyName, industry,
    trialData, emailScheduleStatus at :59-70 and components/trial/email-schedule-display.tsx:37-45)."""
    json_header = {"Content-Type": "application/json"}
    assert (await browser.get("/api/profile", **json_header)).status_code == 404
    await browser.send("PATCH", "/api/onboarding/step-1", {"fullName": "Ada Lovelace", "businessName": "Acme Labs"})
    response = await browser.get("/api/profile", **json_header)
    assert response.status_code == 200
    profile = response.json()
    for field in ("name", "companyName", "industry"):
        assert profile[field] is None or isinstance(profile[field], str)
    assert profile.get("trialData") is None  # no trial: the page shows its placeholder
    assert profile["emailScheduleStatus"]["welcome"]["status"] in ("scheduled", "sent", "failed")


# 8. Administration: system configuration


def entries_of(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entries in listing["configurations"].values() for entry in entries]


async def test_admin_configuration_page(admin_browser: Browser, browser: Browser) -> None:
    """app/admin/system-config/page.tsx:84 (list; reads totalCount :235, categories.length :238,
    configurations by category :327-338, and id, key, valueType, isHotReloadable === 'true', value,
    description, updatedAt :349-412), :105 (init, no body), :128 (add at :303 and edit at :386)."""
    init = await admin_browser.send("POST", "/api/admin/config/init")
    assert init.status_code == 200

    key = f"max_api_calls_{uuid.uuid4().hex[:8]}"
    add = {"category": "api_limits", "key": key, "value": "10", "valueType": "number", "description": ""}
    assert (await admin_browser.send("POST", "/api/admin/config", add)).status_code == 200

    response = await admin_browser.get("/api/admin/config")
    assert response.status_code == 200
    listing = response.json()
    entries = entries_of(listing)
    assert listing["totalCount"] == len(entries)
    assert isinstance(listing["categories"], list)
    assert len(listing["categories"]) == len(listing["configurations"])
    for entry in entries:
        assert is_uuid(entry["id"])
        for field in ("key", "value", "valueType"):
            assert isinstance(entry[field], str)
        assert entry["description"] is None or isinstance(entry["description"], str)
        assert entry["isHotReloadable"] in ("true", "false")
        assert "T" in entry["updatedAt"]
    assert len({entry["id"] for entry in entries}) == len(entries)
    defaults = {(e["category"], e["key"]) for e in entries}
    assert {("timeouts", "standard_job_timeout"), ("api_limits", "max_jobs_per_minute")} <= defaults
    added = next(e for e in listing["configurations"]["api_limits"] if e["key"] == key)
    assert (added["value"], added["isHotReloadable"]) == ("10", "true")

    # Edit: the whole entry as listed, value and description changed (page.tsx:386).
    edited = {**added, "value": "12", "description": "Edited from the admin page"}
    assert (await admin_browser.send("POST", "/api/admin/config", edited)).status_code == 200
    again = next(e for e in entries_of((await admin_browser.get("/api/admin/config")).json()) if e["key"] == key)
    assert (again["id"], again["value"], again["description"]) == (added["id"], "12", "Edited from the admin page")

    bad = await admin_browser.send("POST", "/api/admin/config", {**edited, "value": "abc"})
    assert bad.status_code == 400
    assert (await browser.get("/api/admin/config")).status_code == 403
    assert (await browser.send("POST", "/api/admin/config/init")).status_code == 403


async def test_init_leaves_stored_values_alone(admin_browser: Browser) -> None:
    """page.tsx:105: seeding the defaults again keeps what an admin changed."""
    await admin_browser.send("POST", "/api/admin/config/init")
    changed = {"category": "email", "key": "retry_max_delay", "value": "2h", "valueType": "duration"}
    try:
        assert (await admin_browser.send("POST", "/api/admin/config", changed)).status_code == 200
        second = await admin_browser.send("POST", "/api/admin/config/init")
        assert (second.status_code, second.json()["inserted"]) == (200, 0)
        entries = entries_of((await admin_browser.get("/api/admin/config")).json())
        assert [e["value"] for e in entries if (e["category"], e["key"]) == ("email", "retry_max_delay")] == ["2h"]
    finally:
        await admin_browser.send("DELETE", "/api/admin/config/email/retry_max_delay")


def test_every_replay_names_its_frontend_line() -> None:
    """Each replay test says which file and line of the old frontend it mirrors."""
    mirrors = re.compile(r"[\w/\[\]-]+\.(jsx|tsx|js):\d+")
    for name, test in globals().items():
        if name.startswith("test_") and name != "test_every_replay_names_its_frontend_line":
            assert mirrors.search(test.__doc__ or ""), name


async def test_the_openapi_document_describes_the_added_routes(client: Client) -> None:
    """The routes these replays need (app/page.js:27, export-button.tsx:34, search-results.jsx:384,
    system-config/page.tsx:105,128) are in the document, with the cookie as a way to authenticate."""
    document = (await client.get("/schema/openapi.json")).json()
    for path, method in (
        ("/api/onboarding/status", "get"),
        ("/api/export/csv", "get"),
        ("/api/proxy/image", "get"),
        ("/api/admin/config", "post"),
        ("/api/admin/config/init", "post"),
    ):
        operation = document["paths"][path][method]
        assert operation["description"], path
        assert {"SessionCookie": []} in operation["security"], path
    cookie = document["components"]["securitySchemes"]["SessionCookie"]
    assert (cookie["type"], cookie["in"], cookie["name"]) == ("apiKey", "cookie", "__session")
    slugs = document["paths"]["/api/scraping/{platform}"]["post"]["parameters"][0]["schema"]
    assert {"instagram-hashtag", "tiktok-similar", "youtube-similar"} <= set(slugs["enum"])


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"creator": {"name": "Marques", "handle": "@mkbhd", "verified": True}, "platform": "YouTube"},
            {"profileUrl": "https://www.youtube.com/@mkbhd", "is_verified": True, "is_private": False, "emails": []},
        ),
        (
            {"creator": {"handle": "UCBJycsmduvYEL83R_U4JriQ"}, "platform": "YouTube"},
            {"profileUrl": "https://www.youtube.com/channel/UCBJycsmduvYEL83R_U4JriQ", "bio": "", "name": None},
        ),
        (
            {"creator": {"handle": "nike", "private": True, "emails": "not a list"}, "platform": "Instagram"},
            {"profileUrl": "https://www.instagram.com/nike/", "is_private": True, "emails": []},
        ),
        ({"creator": {"handle": ""}, "platform": "TikTok"}, {"profileUrl": None, "username": "", "id": "0.1"}),
        (
            {"platform": "TikTok"},
            {"creator": {"name": None, "uniqueId": None, "profilePicUrl": None, "followers": None}, "username": ""},
        ),
        (  # adopted from the old system: a TikTok similar entry, flat only; what it has stays
            {
                "id": "69",
                "username": "nike",
                "full_name": "Nike",
                "profile_pic_url": "https://p16.tiktokcdn.com/n.jpg",
                "is_verified": True,
                "followerCount": 5,
                "emails": ["a@nike.example"],
                "platform": "TikTok",
            },
            {
                "id": "69",
                "username": "nike",
                "is_verified": True,
                "profileUrl": "https://www.tiktok.com/@nike",
                "emails": ["a@nike.example"],
                "bio": "",
                "creator": {
                    "name": "Nike",
                    "uniqueId": "nike",
                    "profilePicUrl": "https://p16.tiktokcdn.com/n.jpg",
                    "followers": 5,
                },
            },
        ),
        (  # adopted: an old Instagram keyword entry keys its creator by creator.uniqueId
            {
                "creator": {"name": "Ann", "uniqueId": "ann.b", "avatarUrl": "https://x.cdninstagram.com/a.jpg"},
                "platform": "Instagram",
            },
            {
                "username": "ann.b",
                "profile_pic_url": "https://x.cdninstagram.com/a.jpg",
                "profileUrl": "https://www.instagram.com/ann.b/",
            },
        ),
    ],
)
async def test_polled_creator_shapes(pool: asyncpg.Pool, entry: dict[str, Any], expected: dict[str, Any]) -> None:
    """similar-search/search-results.jsx:74-86 links `profileUrl` when present, else builds one; the
    table reads is_verified/is_private (:347-348) and emails (:324-333) whatever the provider gave."""
    async with pool.acquire() as conn:
        shaped = json.loads(await fixtures.polled_creator(conn, entry=entry, is_similar=True))
    assert {key: shaped[key] for key in expected} == expected
    async with pool.acquire() as conn:
        assert json.loads(await fixtures.polled_creator(conn, entry=[1], is_similar=True)) == [1]
        keyword = json.loads(await fixtures.polled_creator(conn, entry=entry, is_similar=False))
    assert set(keyword) - {"creator"} == set(entry) - {"creator"}  # a keyword entry gets no flat fields
    assert set(keyword["creator"]) >= {"uniqueId", "profilePicUrl"}
