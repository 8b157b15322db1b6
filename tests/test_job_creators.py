"""A job's creators: once each, filtered, sorted, paged, and exported as CSV."""

import csv
import io
import random
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from service.api.streams import EXPORT_BATCH_ROWS, CreatorFilters, csv_body, export_reads, job_creators_reader
from service.csv_export import COLUMNS, FORMULA_CHARACTERS, cell, csv_header, csv_lines, neutralise
from tests.factories import add_job, create_campaign, fixtures
from tests.factories import sample_creator as creator
from tests.plans import plan_of

Client = AsyncTestClient[Any]
FILTERS = ("min_followers", "max_followers", "has_email", "hashtag")


PAGES = [
    [
        creator("ann", 1000, likes=50, views=1000, emails=["ann@x.example"], hashtags=["#Fashion"]),
        creator("bob", 50_000, likes=100, views=10_000, hashtags=["#fitness"]),
        creator("cy", 7000, views=0, bio='=HYPERLINK("http://evil")'),
    ],
    [
        # Ann again, seen later with more followers: the latest sighting wins.
        creator("ANN", 1500, likes=300, views=1000, emails=["ann@x.example", "mgmt@x.example"], hashtags=["#fashion"]),
        creator("dee", 250_000, likes=2000, views=100_000, hashtags=["#fashion", "#beauty"]),
        creator("ann", 9, platform="Instagram"),
    ],
]


@pytest.fixture
async def job(client: Client, auth: dict[str, str], pool: asyncpg.Pool) -> str:
    return str(await store_job(client, auth, pool, PAGES))


async def store_job(
    client: Client,
    auth: dict[str, str],
    pool: asyncpg.Pool,
    pages: list[list[dict[str, Any]]],
    order: list[int] | None = None,
) -> UUID:
    """A completed job of a new campaign of the caller, its pages stored in `order` (page order by default)."""
    campaign = await create_campaign(client, auth)
    return UUID(await add_job(pool, campaign, keywords=["x"], pages=pages, page_order=order))


async def handles(client: Client, auth: dict[str, str], job: str, **params: Any) -> list[str]:
    response = await client.get(f"/api/jobs/{job}/creators", params=params, headers=auth)
    assert response.status_code == 200, response.text
    return [f"{c['platform']}:{c['creator']['handle']}" for c in response.json()["creators"]]


async def test_one_row_per_creator_as_last_seen(client: Client, auth: dict[str, str], job: str) -> None:
    response = await client.get(f"/api/jobs/{job}/creators", headers=auth)
    body = response.json()
    assert [f"{c['platform']}:{c['creator']['handle']}" for c in body["creators"]] == [
        "TikTok:dee",
        "TikTok:bob",
        "TikTok:cy",
        "TikTok:ANN",
        "Instagram:ann",
    ]
    ann = body["creators"][3]
    assert (ann["creator"]["followers"], ann["creator"]["emails"]) == (1500, ["ann@x.example", "mgmt@x.example"])
    assert ann["engagementRate"] == 0.3
    assert body["creators"][2]["engagementRate"] == 0, "no views, no rate"
    assert body["nextCursor"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"minFollowers": 7000}, ["TikTok:dee", "TikTok:bob", "TikTok:cy"]),
        ({"maxFollowers": 7000}, ["TikTok:cy", "TikTok:ANN", "Instagram:ann"]),
        ({"minFollowers": 1000, "maxFollowers": 50_000}, ["TikTok:bob", "TikTok:cy", "TikTok:ANN"]),
        ({"hasEmail": "true"}, ["TikTok:ANN"]),
        ({"hasEmail": "false"}, ["TikTok:dee", "TikTok:bob", "TikTok:cy", "Instagram:ann"]),
        ({"hashtag": "fashion"}, ["TikTok:dee", "TikTok:ANN"]),
        ({"hashtag": "#FASHION"}, ["TikTok:dee", "TikTok:ANN"]),
        ({"hashtag": "fashion", "minFollowers": 2000}, ["TikTok:dee"]),
        ({"hashtag": "cooking"}, []),
        ({"sort": "engagement"}, ["TikTok:ANN", "TikTok:dee", "TikTok:bob", "Instagram:ann", "TikTok:cy"]),
    ],
)
async def test_filters_and_sorts(
    client: Client, auth: dict[str, str], job: str, params: dict[str, Any], expected: list[str]
) -> None:
    assert await handles(client, auth, job, **params) == expected


@pytest.mark.parametrize("sort", ["followers", "engagement"])
@pytest.mark.parametrize(
    "filters", [{}, {"minFollowers": 1000, "maxFollowers": 50_000}, {"maxFollowers": 7000}, {"hashtag": "fashion"}]
)
async def test_keyset_pages_walk_every_creator_once(
    client: Client, auth: dict[str, str], job: str, sort: str, filters: dict[str, Any]
) -> None:
    everyone = await handles(client, auth, job, sort=sort, **filters)
    walked: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2, **filters, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(f"/api/jobs/{job}/creators", params=params, headers=auth)).json()
        walked += [f"{c['platform']}:{c['creator']['handle']}" for c in body["creators"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert walked == everyone


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "name"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"minFollowers": -1}, "minFollowers"),
        ({"hasEmail": "maybe"}, "hasEmail"),
        ({"hashtag": "#"}, "hashtag"),
        ({"cursor": "garbage"}, "cursor"),
        ({"format": "xml"}, "format"),
    ],
)
async def test_bad_parameters_are_400(
    client: Client, auth: dict[str, str], job: str, params: dict[str, Any], field: str
) -> None:
    response = await client.get(f"/api/jobs/{job}/creators", params=params, headers=auth)
    assert response.status_code == 400
    assert field in response.json()["error"]


async def test_a_cursor_continues_the_order_it_was_made_for(client: Client, auth: dict[str, str], job: str) -> None:
    url = f"/api/jobs/{job}/creators"
    everyone = (await client.get(url, params={"sort": "followers"}, headers=auth)).json()["creators"]
    first = (await client.get(url, params={"limit": 1, "sort": "followers"}, headers=auth)).json()
    response = await client.get(
        url, params={"limit": 1, "sort": "engagement", "cursor": first["nextCursor"]}, headers=auth
    )
    assert response.status_code == 200
    assert response.json()["creators"] == everyone[1:2]


async def test_csv_export(client: Client, auth: dict[str, str], job: str) -> None:
    response = await client.get(f"/api/jobs/{job}/creators", params={"format": "csv"}, headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8", "one charset"
    assert f'filename="job-{job}-creators.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["handle"] for r in rows] == ["dee", "bob", "cy", "ANN", "ann"]
    assert rows[3]["emails"] == "ann@x.example; mgmt@x.example"
    assert rows[3]["engagement_rate"] == "0.3000"
    assert rows[0]["hashtags"] == "#fashion #beauty"
    assert rows[2]["bio"] == '\'=HYPERLINK("http://evil")', "a formula is shown as text, never evaluated"

    filtered = await client.get(f"/api/jobs/{job}/creators", params={"format": "csv", "hasEmail": "true"}, headers=auth)
    assert [r["handle"] for r in csv.DictReader(io.StringIO(filtered.text))] == ["ANN"]


async def test_another_users_job_is_404(client: Client, other_auth: dict[str, str], job: str) -> None:
    for params in ({}, {"format": "csv"}):
        response = await client.get(f"/api/jobs/{job}/creators", params=params, headers=other_auth)
        assert response.status_code == 404
        assert response.json() == {"error": "Job not found"}


NO_FILTERS = CreatorFilters(min_followers=None, max_followers=None, has_email=None, hashtag=None)


@pytest.mark.parametrize("sort", ["followers", "engagement"])
async def test_a_large_export_streams_in_keyset_batches(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool, sort: str
) -> None:
    pages = [
        [creator(f"c{page}_{i}", page * 100 + i % 7, views=100, likes=i % 5) for i in range(50)] for page in range(60)
    ]
    job_id = await store_job(client, auth, pool, pages)
    read = job_creators_reader(job_id, NO_FILTERS, sort, EXPORT_BATCH_ROWS)
    export = csv_body(
        State({"pool": pool, "acquire_timeout": 5.0, "export_reads": export_reads(1)}), read, f"job {job_id}"
    )
    first = await anext(export)
    assert first.startswith(csv_header())
    assert first.count(b"\r\n") == EXPORT_BATCH_ROWS + 1, "the header and the first batch"
    rest = [chunk async for chunk in export]
    assert [chunk.count(b"\r\n") for chunk in rest] == [EXPORT_BATCH_ROWS] * 5
    exported = [row["handle"] for row in csv.DictReader(io.StringIO(b"".join([first, *rest]).decode()))]
    assert len(exported) == len(set(exported)) == 3000, "every creator once, across ties at batch edges"
    page = await client.get(f"/api/jobs/{job_id}/creators", params={"sort": sort, "limit": 200}, headers=auth)
    assert exported[:200] == [c["creator"]["handle"] for c in page.json()["creators"]], "the pages' order"

    over_http = await client.get(f"/api/jobs/{job_id}/creators", params={"format": "csv"}, headers=auth)
    assert over_http.text.count("\r\n") == 3001


def test_csv_cells() -> None:
    assert [neutralise(t) for t in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "plain", "a=b")] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        "a=b",
    ]
    assert [cell(v) for v in (None, Decimal("184000"), Decimal("0.0523"), 7, "x")] == ["", "184000", "0.0523", "7", "x"]
    line = csv_lines([['say "hi", then\nleave']])
    assert next(csv.reader(io.StringIO(line.decode())))[0] == 'say "hi", then\nleave'


# OWASP's CSV-injection cases: formulas at the start of a cell (after blanks), after a
# separator that some locales split on, after a quote or a line break, and full-width forms.
FORMULAS = [
    "x;=2+5",
    "https://ok;=1+1",
    "a,=1+1",
    "a|=1+1",
    "\uff1d1+1",
    "\uff0bcmd",
    "\uff0d1",
    "\uff20SUM(A1)",
    "\n=1+1",
    "\r=1+1",
    " =1+1",
    "\u3000=1+1",
    "ok\n=cmd|' /C calc'!A0",
    'a"=1+1',
    "x; @SUM(A1)",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_no_cell_can_run_as_a_formula(text: str) -> None:
    line = csv_lines([[text, "next"]]).decode()
    assert line.startswith("\"'"), "quoted, and shown as text"
    assert next(csv.reader(io.StringIO(line))) == ["'" + text, "next"], "the text itself is kept"
    for separator in ";,\t|":  # read as a spreadsheet in any locale would: no cell starts a formula
        cells = next(csv.reader(io.StringIO(line), delimiter=separator))
        assert not any(c.lstrip(" \u3000").startswith(tuple(FORMULA_CHARACTERS)) for c in cells), separator


def test_harmless_text_is_left_alone() -> None:
    for text in ("a=b", "well-known", "a; b", "x@y.example", "50% off", "C++ fan"):
        assert neutralise(text) == text


async def test_kept_creators_match_the_pages_stored_in_any_order(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    # found_creators is kept by a trigger as pages arrive; the drift fixture derives
    # the same rows from all the pages at once. Both must agree, whatever the order.
    rng = random.Random(7)
    names = [f"h{i}" for i in range(40)]
    pages = [
        [
            creator(
                rng.choice([name, name.upper()]),
                rng.randrange(10**6),
                likes=rng.randrange(100),
                views=rng.choice([0, 1000]),
                hashtags=rng.sample(["#a", "#B", "#c"], 2),
                platform=rng.choice(["TikTok", "YouTube"]),
            )
            for name in rng.choices(names, k=25)  # repeats within a page too
        ]
        for _ in range(8)
    ]
    pages[3][0]["creator"]["followers"] = "12k"  # scraped text, not a number
    pages[5][1]["creator"]["handle"] = ""  # no handle: the name identifies it
    job_id = await store_job(client, auth, pool, pages, order=rng.sample(range(len(pages)), len(pages)))
    async with pool.acquire() as conn:
        assert [row["creator_key"] async for row in fixtures.found_creators_drift(conn, job_id=job_id)] == []
    listed = await handles(client, auth, str(job_id), limit=200)
    assert len(listed) == len(
        {f"{c['platform']}:{c['creator']['handle'] or c['creator']['name']}".lower() for page in pages for c in page}
    )


async def test_a_page_changed_or_removed_by_hand_takes_its_creators_along(
    client: Client, auth: dict[str, str], job: str, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as conn:
        await fixtures.delete_result_page(conn, job_id=UUID(job), page=1)
        assert await handles(client, auth, job) == ["TikTok:bob", "TikTok:cy", "TikTok:ann"]
        await fixtures.replace_result_page(conn, job_id=UUID(job), page=0, creators=[creator("zed", 5)])
        assert await handles(client, auth, job) == ["TikTok:zed"]
        assert [row async for row in fixtures.found_creators_drift(conn, job_id=UUID(job))] == []


@pytest.mark.parametrize(
    ("sort", "index"), [("followers", "found_creators_followers_idx"), ("engagement", "found_creators_engagement_idx")]
)
async def test_a_page_reads_a_range_of_its_sorts_index(
    pool: asyncpg.Pool, user_id: str, job: str, sort: str, index: str
) -> None:
    async with pool.acquire() as conn:
        plan = await plan_of(
            conn,
            "list_job_creators_page",
            user_id=user_id,
            job_id=UUID(job),
            sort_by=sort,
            after_value=Decimal(5000),
            after_key="tiktok:bob",
            page_size=50,
            **dict.fromkeys(FILTERS),
        )
    assert index in plan, plan
    assert "Seq Scan on found_creators" not in plan
