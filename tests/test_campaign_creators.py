"""A campaign's creators: one list across its searches, filtered and paged, with statuses and their history."""

import asyncio
import csv
import io
import uuid
from typing import Any, cast

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.api.campaign_creators import (
    CampaignCreatorDetail,
    CampaignCreatorFilters,
    CampaignCreatorPage,
    campaign_list_reader,
)
from service.csv_export import CAMPAIGN_COLUMNS
from tests.factories import add_job, create_campaign, fixtures
from tests.factories import sample_creator as creator
from tests.plans import plan_of

Client = AsyncTestClient[Any]


async def campaign_with_searches(client: Client, auth: dict[str, str], pool: asyncpg.Pool) -> dict[str, Any]:
    """A campaign with three searches: two TikTok keyword searches that overlap, and one on Instagram."""
    campaign = await create_campaign(client, auth)
    first = await add_job(
        pool,
        campaign,
        keywords=["yoga"],
        pages=[
            [
                creator("ann", 1000, likes=50, views=1000, bio="Yoga teacher in Lisbon", emails=["a@x.example"]),
                creator("bob", 50_000, likes=100, views=10_000, hashtags=["#fitness"]),
            ],
            [creator("cy", 7000, bio="Chef; bakes bread")],
        ],
    )
    second = await add_job(
        pool,
        campaign,
        keywords=["pilates"],
        pages=[[creator("ANN", 2500, likes=300, views=1000, bio="Yoga and pilates"), creator("dee", 90_000)]],
    )
    third = await add_job(
        pool, campaign, keywords=["yoga"], platform="Instagram", pages=[[creator("ann", 9, platform="Instagram")]]
    )
    return {**campaign, "jobs": [first, second, third]}


async def page(client: Client, auth: dict[str, str], campaign_id: str, **params: Any) -> CampaignCreatorPage:
    response = await client.get(f"/api/campaigns/{campaign_id}/creators", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return msgspec.json.decode(response.content, type=CampaignCreatorPage)


def handles(found: CampaignCreatorPage) -> list[str]:
    return [f"{c.platform}:{c.creator['handle']}" for c in found.creators]


async def test_one_row_per_creator_across_searches_as_last_seen(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    found = await page(client, auth, campaign["id"])
    assert handles(found) == ["TikTok:dee", "TikTok:bob", "TikTok:cy", "TikTok:ANN", "Instagram:ann"]
    ann = found.creators[3]
    # Seen by both TikTok searches; the second (stored later) is the latest sighting.
    assert ann.creator["followers"] == 2500
    assert ann.engagement_rate == 0.3
    assert [s.job_id for s in ann.searches] == [uuid.UUID(j) for j in campaign["jobs"][:2]]
    assert [s.keywords for s in ann.searches] == [["yoga"], ["pilates"]]
    assert ann.status is None
    assert found.next_cursor is None
    async with pool.acquire() as conn:
        assert [r async for r in fixtures.campaign_creators_drift(conn, campaign_id=campaign["id"])] == []


async def test_filters_and_text_search(client: Client, auth: dict[str, str], pool: asyncpg.Pool) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    cid = campaign["id"]
    assert handles(await page(client, auth, cid, platform="instagram")) == ["Instagram:ann"]
    assert handles(await page(client, auth, cid, minFollowers=5000, maxFollowers=60_000)) == ["TikTok:bob", "TikTok:cy"]
    assert handles(await page(client, auth, cid, hashtag="FITNESS")) == ["TikTok:bob"]
    assert handles(await page(client, auth, cid, q="yoga")) == ["TikTok:ANN"]  # bio of the latest sighting
    assert handles(await page(client, auth, cid, q="bread")) == ["TikTok:cy"]
    assert handles(await page(client, auth, cid, q="Chef bread", sort="engagement")) == ["TikTok:cy"]
    assert handles(await page(client, auth, cid, q="nothing-like-this")) == []
    assert handles(await page(client, auth, cid, sort="engagement"))[0] == "TikTok:ANN"
    recent = handles(await page(client, auth, cid, sort="recent"))
    assert recent[0] == "Instagram:ann"  # the last search stored
    assert set(recent) == set(handles(await page(client, auth, cid)))


@pytest.mark.parametrize("sort", ["followers", "engagement", "recent"])
@pytest.mark.parametrize("params", [{}, {"minFollowers": 5}, {"q": "creator"}, {"platform": "tiktok"}])
async def test_keyset_pages_walk_every_creator_once(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool, sort: str, params: dict[str, Any]
) -> None:
    campaign = await create_campaign(client, auth)
    for search in range(3):
        await add_job(
            pool,
            campaign,
            pages=[
                [
                    creator(f"h{(search * 7 + i) % 25}", (i * 37) % 11, likes=i % 3, views=10, bio="a creator")
                    for i in range(9)
                ]
                for _ in range(2)
            ],
        )
    everyone = handles(await page(client, auth, campaign["id"], sort=sort, limit=200, **params))
    walked: list[str] = []
    cursor = None
    while True:
        found = await page(
            client, auth, campaign["id"], sort=sort, limit=4, **params, **({"cursor": cursor} if cursor else {})
        )
        walked += handles(found)
        cursor = found.next_cursor
        if cursor is None:
            break
    assert walked == everyone
    assert len(set(walked)) == len(walked) > 4


async def test_status_changes_are_kept_with_their_history(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    url = f"/api/campaigns/{campaign['id']}/creators/tiktok/Ann"  # any case
    first = await client.put(url, json={"status": "shortlisted", "note": "great fit"}, headers=auth)
    assert first.status_code == 200, first.text
    again = await client.put(url, json={"status": "shortlisted", "note": "great fit"}, headers=auth)  # no change
    later = await client.put(url, json={"status": "contacted", "note": None}, headers=auth)
    detail = msgspec.json.decode(later.content, type=CampaignCreatorDetail)
    assert again.status_code == 200
    assert (detail.status, detail.note) == ("contacted", None)
    assert [(h.from_status, h.to_status, h.from_note, h.to_note) for h in detail.history] == [
        (None, "shortlisted", None, "great fit"),
        ("shortlisted", "contacted", "great fit", None),
    ]
    read = msgspec.json.decode((await client.get(url, headers=auth)).content, type=CampaignCreatorDetail)
    assert read == detail
    assert handles(await page(client, auth, campaign["id"], status="contacted")) == ["TikTok:ANN"]
    stats = (await client.get("/api/campaigns/stats", headers=auth)).json()
    counts = next(c for c in stats["campaigns"] if c["campaignId"] == campaign["id"])["creatorsByStatus"]
    assert counts == {"shortlisted": 0, "contacted": 1, "replied": 0, "declined": 0, "hired": 0}


@pytest.mark.parametrize(
    "body",
    [{"status": "maybe"}, {"note": "x" * 2001}, {"status": "hired", "extra": 1}, {"note": "bad\u0000"}],
)
async def test_bad_decisions_are_400_and_change_nothing(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool, body: dict[str, Any]
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    url = f"/api/campaigns/{campaign['id']}/creators/tiktok/ann"
    response = await client.put(url, json=body, headers=auth)
    assert response.status_code == 400, response.text
    assert msgspec.json.decode((await client.get(url, headers=auth)).content, type=CampaignCreatorDetail).history == []


async def test_unknown_creators_and_other_users_are_404(
    client: Client, auth: dict[str, str], other_auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    base = f"/api/campaigns/{campaign['id']}/creators"
    assert (await client.put(f"{base}/tiktok/nobody", json={"status": "hired"}, headers=auth)).status_code == 404
    assert (await client.get(f"{base}/youtube/ann", headers=auth)).status_code == 404
    assert (await client.get(base, headers=other_auth)).status_code == 404
    assert (await client.put(f"{base}/tiktok/ann", json={"status": "hired"}, headers=other_auth)).status_code == 404
    assert (await client.get(f"/api/campaigns/{uuid.uuid4()}/creators", headers=auth)).status_code == 404
    assert (await client.get("/api/campaigns/not-a-uuid/creators", headers=auth)).status_code == 400


async def test_deleting_a_search_keeps_the_list_consistent(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    url = f"/api/campaigns/{campaign['id']}/creators/tiktok/dee"
    await client.put(url, json={"status": "declined"}, headers=auth)
    async with pool.acquire() as conn:
        await fixtures.delete_job(conn, job_id=campaign["jobs"][1])  # the second TikTok search
        assert [r async for r in fixtures.campaign_creators_drift(conn, campaign_id=campaign["id"])] == []
    found = await page(client, auth, campaign["id"])
    # dee was found only by the deleted search; ann falls back to the first search's sighting.
    assert handles(found) == ["TikTok:bob", "TikTok:cy", "TikTok:ann", "Instagram:ann"]
    assert found.creators[2].creator["followers"] == 1000
    assert (await client.get(url, headers=auth)).status_code == 404


async def test_a_creator_found_again_gets_its_status_back(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    job = await add_job(pool, campaign, pages=[[creator("eve", 10)]])
    url = f"/api/campaigns/{campaign['id']}/creators/tiktok/eve"
    await client.put(url, json={"status": "hired", "note": "signed"}, headers=auth)
    async with pool.acquire() as conn:
        await fixtures.delete_job(conn, job_id=job)
    assert (await client.get(url, headers=auth)).status_code == 404
    await add_job(pool, campaign, pages=[[creator("Eve", 20)]])
    detail = msgspec.json.decode((await client.get(url, headers=auth)).content, type=CampaignCreatorDetail)
    assert (detail.status, detail.note, len(detail.history)) == ("hired", "signed", 1)


async def test_deleting_the_campaign_takes_its_creators_and_history(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    await client.put(f"/api/campaigns/{campaign['id']}/creators/tiktok/bob", json={"status": "hired"}, headers=auth)
    assert (await client.delete(f"/api/campaigns/{campaign['id']}", headers=auth)).status_code == 200
    async with pool.acquire() as conn:
        left = msgspec.json.decode(await fixtures.snapshot_campaign(conn, campaign_id=campaign["id"]))
    assert (left["creators"], left["creatorChanges"]) == ([], [])


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("followers", "campaign_creators_followers_idx"),
        ("engagement", "campaign_creators_engagement_idx"),
        ("recent", "campaign_creators_found_idx"),
    ],
)
async def test_a_page_reads_a_range_of_its_sorts_index(pool: asyncpg.Pool, sort: str, index: str) -> None:
    async with pool.acquire() as conn:
        plan = await plan_of(
            conn,
            "list_campaign_creators_page",
            user_id="u",
            campaign_id=uuid.uuid4(),
            platform=None,
            min_followers=None,
            max_followers=None,
            has_email=None,
            hashtag=None,
            status=None,
            text_query=None,
            sort_by=sort,
            after_value=None,
            after_found_at=None,
            after_key=None,
            page_size=50,
        )
    assert index in plan
    assert "Seq Scan on campaign_creators" not in plan


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_list_as_csv_with_status_and_note(client: Client, auth: dict[str, str], pool: asyncpg.Pool) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    base = f"/api/campaigns/{campaign['id']}/creators"
    await client.put(f"{base}/tiktok/bob", json={"status": "shortlisted", "note": "=HYPERLINK(1)"}, headers=auth)
    response = await client.get(f"{base}.csv", headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == ",".join(CAMPAIGN_COLUMNS)
    rows = csv_rows(response.text)
    assert [f"{r['platform']}:{r['handle']}" for r in rows] == handles(await page(client, auth, campaign["id"]))
    bob = next(r for r in rows if r["handle"] == "bob")
    assert (bob["status"], bob["note"]) == ("shortlisted", "'=HYPERLINK(1)")  # formula-safe
    ann = next(r for r in rows if r["handle"] == "ANN")
    assert (ann["followers"], ann["engagement_rate"], ann["status"]) == ("2500", "0.3000", "")


@pytest.mark.parametrize("sort", ["followers", "engagement", "recent"])
@pytest.mark.parametrize("params", [{}, {"q": "creator"}, {"minFollowers": 5}])
async def test_the_csv_walks_the_whole_filtered_list_in_batches(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool, sort: str, params: dict[str, Any]
) -> None:
    campaign = await create_campaign(client, auth)
    for search in range(3):
        await add_job(
            pool,
            campaign,
            pages=[
                [
                    creator(f"h{(search * 7 + i) % 25}", (i * 37) % 11, likes=i % 3, views=10, bio="a creator")
                    for i in range(9)
                ]
                for _ in range(2)
            ],
        )
    listed = handles(await page(client, auth, campaign["id"], sort=sort, limit=200, **params))
    async with pool.acquire() as conn:
        read = campaign_list_reader(
            campaign["userId"],
            uuid.UUID(campaign["id"]),
            CampaignCreatorFilters(
                platform=None,
                min_followers=params.get("minFollowers"),
                max_followers=None,
                has_email=None,
                hashtag=None,
                status=None,
                text_query=params.get("q"),
            ),
            sort,
            batch_rows=4,
        )
        walked: list[str] = []
        after = None
        while True:
            batch = await read(cast(asyncpg.Connection, conn), after)
            walked += [f"{row.platform}:{row.handle}" for row in batch.rows]  # type: ignore[attr-defined]
            after = batch.after
            if after is None:
                break
    assert walked == listed
    assert len(listed) > 4
    over_http = await client.get(
        f"/api/campaigns/{campaign['id']}/creators.csv", params={"sort": sort, **params}, headers=auth
    )
    assert [f"{r['platform']}:{r['handle']}" for r in csv_rows(over_http.text)] == listed


async def test_the_csv_of_another_users_campaign_is_404(
    client: Client, auth: dict[str, str], other_auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    response = await client.get(f"/api/campaigns/{campaign['id']}/creators.csv", headers=other_auth)
    assert response.status_code == 404
    bad = await client.get(f"/api/campaigns/{campaign['id']}/creators.csv?q=%00", headers=auth)
    assert bad.status_code == 400


async def test_searches_of_one_campaign_store_pages_at_once_without_deadlocks(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    # Each stored page merges its creators into the campaign's list in two passes
    # (found_creators' inserted rows, then its updated ones); two searches storing
    # the same creators at once, new to one and known to the other, lock them in
    # crossing orders unless the campaign's writers take turns.
    campaign = await create_campaign(client, auth)
    rounds = 30
    names = [f"x{i}" for i in range(12)]
    first = await add_job(pool, campaign, pages=[[creator(n, 1) for n in names[:6]]])
    second = await add_job(pool, campaign, pages=[[creator(n, 1) for n in names[6:]]])

    async def store(job_id: str, order: list[str]) -> None:
        async with pool.acquire() as conn:
            for page in range(1, rounds + 1):
                await fixtures.insert_result_fixture(
                    conn, job_id=job_id, page=page, creators=[creator(n, page) for n in order]
                )

    await asyncio.gather(store(first, names), store(second, list(reversed(names))))
    async with pool.acquire() as conn:
        assert [r async for r in fixtures.campaign_creators_drift(conn, campaign_id=campaign["id"])] == []
    assert len(handles(await page(client, auth, campaign["id"], limit=200))) == len(names)


async def test_the_csv_shares_the_per_user_cap_on_exports(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    campaign = await campaign_with_searches(client, auth, pool)
    slots = client.app.state.export_slots
    taken = [slots.take(user_id) for _ in range(slots.limit)]  # exports of this user still being read
    try:
        refused = await client.get(f"/api/campaigns/{campaign['id']}/creators.csv", headers=auth)
        assert refused.status_code == 429
        assert refused.headers["retry-after"].isdigit()
    finally:
        for slot in taken:
            slot.release()
    assert (await client.get(f"/api/campaigns/{campaign['id']}/creators.csv", headers=auth)).status_code == 200
