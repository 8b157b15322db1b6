"""The ScrapeCreators client against a local stub that answers as the documentation shows (tests/provider_docs)."""

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest

from service.providers.base import Page, Profile, ProfileRef, ProviderError, SearchSpec
from service.providers.scrapecreators import ScrapeCreatorsProvider, decode_cursor
from service.providers.scrapecreators_mapping import complete, count_text, similar_query
from tests.stubs import DOCS, SCRAPECREATORS_KEY, Stub, doc, scrapecreators_stub


@pytest.fixture
def stub() -> Iterator[Stub]:
    with scrapecreators_stub() as running:
        yield running


class Clock:
    """Injected sleep: records the waits instead of sleeping through them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def client(stub: Stub) -> AsyncIterator[ScrapeCreatorsProvider]:
    provider = ScrapeCreatorsProvider(base_url=stub.url, api_key=SCRAPECREATORS_KEY, timeout_seconds=5)
    yield provider
    await provider.close()


async def all_pages(client: ScrapeCreatorsProvider, spec: SearchSpec, limit: int = 20) -> list[Page]:
    pages, cursor = [], None
    for _ in range(limit):
        page = await client.search(spec, cursor)
        pages.append(page)
        if not page.has_more:
            return pages
        cursor = page.next_cursor
    raise AssertionError("the search never ended")


def handles(pages: list[Page]) -> list[str]:
    return [c["creator"]["handle"] for page in pages for c in page.creators]


def fixture(relative: str) -> Any:
    return json.loads(doc(f"scrapecreators/{relative}"))


async def test_tiktok_searches_each_keyword_through_all_its_pages(stub: Stub, client: ScrapeCreatorsProvider) -> None:
    spec = SearchSpec("TikTok", ["fashion", "summer"], None, "GB", {"datePosted": "this-week", "stopReason": "x"})
    pages = await all_pages(client, spec)
    assert handles(pages) == ["mila.styles", "jo_thrifts", "ana.wears", "sunny.days", "mila.styles"]
    assert [(q["query"], q.get("cursor")) for q in stub.calls_to("/v1/tiktok/search/keyword")] == [
        ("fashion", None),
        ("fashion", "20"),
        ("fashion", "30"),
        ("summer", None),
        ("summer", "10"),
    ], "a keyword's pages end with an empty page (no has_more is documented), then the next keyword starts"
    first = stub.calls_to("/v1/tiktok/search/keyword")[0]
    assert (first["region"], first["date_posted"]) == ("GB", "this-week")
    assert "stopReason" not in first
    assert "sort_by" not in first
    assert [p.calls for p in pages] == [1] * 5
    assert pages[0].lookups == (
        ProfileRef(key="tiktok:mila.styles", handle="mila.styles"),
        ProfileRef(key="tiktok:jo_thrifts", handle="jo_thrifts"),
    ), "the documented author has followers but no signature (bio)"
    assert {s.get("x-api-key") for _, _, s in stub.requests} == {SCRAPECREATORS_KEY}


async def test_the_documentations_own_tiktok_video_maps_to_a_creator(
    stub: Stub, client: ScrapeCreatorsProvider
) -> None:
    [page, _] = await all_pages(client, SearchSpec("TikTok", ["super bowl"], None, "US"))
    video = fixture("tiktok_search_keyword/super_bowl_0.json")["search_item_list"][0]["aweme_info"]
    [found] = page.creators
    assert found["creator"] == {
        "name": "Peter Griffin, fan",
        "handle": "kansascitychiefsfan5",
        "followers": 25,
        "avatarUrl": video["author"]["avatar_thumb"]["url_list"][0],
        "bio": "",
        "emails": [],
    }
    assert found["video"] == {
        "description": video["desc"],
        "url": "https://www.tiktok.com/@kansascitychiefsfan5/video/7334621391758642478",
        "statistics": {"likes": 355, "comments": 5, "shares": 22, "views": 31677},
    }
    assert found["hashtags"] == ["#kansascitychiefs", "#superbowl", "#superbowlhalftime", "#traviskelce"]
    assert found["platform"] == "TikTok"


async def test_instagram_reels_search_goes_page_by_page_and_names_the_profiles_to_fetch(
    stub: Stub, client: ScrapeCreatorsProvider
) -> None:
    pages = await all_pages(client, SearchSpec("Instagram", ["skincare"], None, "US", {"datePosted": "last-week"}))
    assert [(q["page"], q["date_posted"]) for q in stub.calls_to("/v2/instagram/reels/search")] == [
        ("1", "last-week"),
        ("2", "last-week"),
        ("3", "last-week"),
    ]
    assert handles(pages) == ["glow.with.lee", "derm.dana", "glow.with.lee", "skin.on.budget"]
    lee = pages[0].creators[0]
    assert lee["creator"]["followers"] == 128000, "the reel's owner carries its follower count"
    assert lee["creator"]["bio"] == "", "but not its biography"
    assert lee["video"]["statistics"] == {"likes": 15000, "comments": 320, "shares": 0, "views": 0}
    assert lee["video"]["url"] == "https://www.instagram.com/reel/C1aaaaaaaa1/"
    assert lee["hashtags"] == ["#glow", "#skincare"]
    assert pages[0].lookups == (
        ProfileRef(key="instagram:5101", user_id="5101", handle="glow.with.lee"),
        ProfileRef(key="instagram:5102", user_id="5102", handle="derm.dana"),
    )


async def test_the_documentations_own_reels_map_to_creators(client: ScrapeCreatorsProvider) -> None:
    page = await client.search(SearchSpec("Instagram", ["dogs"], None, "US"), None)
    first = page.creators[0]
    assert (first["creator"]["handle"], first["creator"]["followers"]) == ("fetchmycamera_", 188406)
    assert first["creator"]["name"] == "Mark | Dog Photographer & Storyteller"
    assert first["video"]["statistics"]["likes"] == 3487
    assert first["video"]["url"] == "https://www.instagram.com/reel/DOq6eV6iIgD/"
    assert page.lookups[0] == ProfileRef(key="instagram:70127159370", user_id="70127159370", handle="fetchmycamera_")


async def test_reels_search_stops_at_the_last_page_it_serves(stub: Stub, client: ScrapeCreatorsProvider) -> None:
    stub.script = [(200, doc("scrapecreators/instagram_reels_search/skincare_1.json"), {})]
    page = await client.search(SearchSpec("Instagram", ["skincare"], None, "US"), '{"c":"11"}')
    assert stub.calls_to("/v2/instagram/reels/search")[0]["page"] == "11"
    assert len(page.creators) == 2
    assert (page.has_more, page.next_cursor) == (False, None), "page 12 would be a 400"


async def test_youtube_search_asks_for_the_extras_and_names_each_channel(
    stub: Stub, client: ScrapeCreatorsProvider
) -> None:
    options = {"uploadDate": "this_week", "sortBy": "popular", "duration": "over_20_min"}
    pages = await all_pages(client, SearchSpec("YouTube", ["keyboards"], None, "GB", options))
    calls = stub.calls_to("/v1/youtube/search")
    assert [(c["includeExtras"], c["uploadDate"], c["sortBy"], c["duration"], c["region"]) for c in calls] == [
        ("true", "this_week", "popular", "over_20_min", "GB")
    ] * 2
    assert calls[1]["continuationToken"] == "4qmFsgKrCBIYVUNkRkpXVWE0M3NtUm00SXBIQnB"
    first, second = pages[0].creators
    assert first["video"]["statistics"] == {"likes": 5400, "comments": 310, "shares": 0, "views": 110447}
    assert first["creator"]["handle"] == "keeblab"
    assert first["hashtags"] == ["#keyboards"]
    assert second["creator"]["handle"] == "UCtypetest00000000000002", "a channel without a handle goes by its id"
    assert pages[0].lookups == (
        ProfileRef(key="youtube:uckeeblab000000000000001", user_id="UCkeeblab000000000000001", handle="keeblab"),
        ProfileRef(
            key="youtube:uctypetest00000000000002",
            user_id="UCtypetest00000000000002",
            handle="UCtypetest00000000000002",
        ),
    )
    assert len(pages) == 2
    assert not pages[1].has_more


async def test_the_documentations_own_youtube_search_maps_to_creators(client: ScrapeCreatorsProvider) -> None:
    page = await client.search(SearchSpec("YouTube", ["NF running"], None, "US"), None)
    first = page.creators[0]
    assert first["creator"]["handle"] == "UCoRR6OLuIZ2-5VxtnQIaN2w"
    assert first["creator"]["name"] == "NFrealmusic"
    assert first["video"]["statistics"] == {"likes": 0, "comments": 0, "shares": 0, "views": 14860541}
    assert page.has_more


async def test_tiktok_similar_reads_the_target_once_then_searches_users_with_its_bio(
    stub: Stub, client: ScrapeCreatorsProvider
) -> None:
    pages = await all_pages(client, SearchSpec("TikTok", None, "@stoolpresidente", "US"))
    assert stub.calls_to("/v1/tiktok/profile") == [{"handle": "stoolpresidente"}]
    assert [(q["query"], q.get("cursor")) for q in stub.calls_to("/v1/tiktok/search/users")] == [
        ("pizza", None),
        ("pizza", "10"),
    ]
    assert [p.calls for p in pages] == [2, 1]
    assert handles(pages) == ["pizzaboss", "slicequeen"], "the target itself is left out"
    assert pages[0].lookups == (
        ProfileRef(key="tiktok:pizzaboss", handle="pizzaboss"),
        ProfileRef(key="tiktok:slicequeen", handle="slicequeen"),
    ), "user search carries no bio"
    assert pages[0].creators[0]["creator"]["followers"] == 250000
    assert decode_cursor(pages[0].next_cursor).q == "pizza"


async def test_youtube_similar_reads_the_channel_then_searches_without_it(
    stub: Stub, client: ScrapeCreatorsProvider
) -> None:
    pages = await all_pages(client, SearchSpec("YouTube", None, "ThePatMcAfeeShow", "US"))
    assert stub.calls_to("/v1/youtube/channel") == [{"handle": "ThePatMcAfeeShow"}]
    assert stub.calls_to("/v1/youtube/search")[0]["query"] == "football"
    assert handles(pages) == ["filmroom"]
    assert pages[0].calls == 2


async def test_instagram_similar_maps_the_related_profiles_each_with_a_profile_to_fetch(
    stub: Stub, client: ScrapeCreatorsProvider
) -> None:
    [page] = await all_pages(client, SearchSpec("Instagram", None, "adrianhorning", "US"))
    assert handles([page]) == ["itsallykrinsky", "data.dev"]
    assert {c["creator"]["followers"] for c in page.creators} == {0}
    assert [ref.user_id for ref in page.lookups if ref] == ["66873381803", "6102"]


def _tiktok_profile(handle: str) -> Profile:
    user = fixture(f"tiktok_profile/{handle}.json")["user"]
    return Profile(250000, user["signature"], user["nickname"], user["avatarMedium"])


@pytest.mark.parametrize(
    ("platform", "ref", "expected"),
    [
        ("TikTok", ProfileRef(key="tiktok:pizzaboss", handle="pizzaboss"), _tiktok_profile("pizzaboss")),
        (
            "Instagram",
            ProfileRef(key="instagram:314216", user_id="314216", handle="zuck"),
            Profile(
                16101999,
                "I build stuff",
                "Mark Zuckerberg",
                fixture("instagram_basic_profile/314216.json")["profile_pic_url"],
            ),
        ),
        (
            "Instagram",
            ProfileRef(key="instagram:adrianhorning", handle="adrianhorning"),
            Profile(
                25116,
                "Scraping the web",
                "Adrian Horning",
                fixture("instagram_profile/adrianhorning.json")["data"]["user"]["profile_pic_url"],
            ),
        ),
        (
            "YouTube",
            ProfileRef(key="youtube:uctypetest00000000000002", user_id="UCtypetest00000000000002"),
            Profile(
                45600,
                "Typing tests and switch science",
                "Type Test",
                fixture("youtube_channel/UCtypetest00000000000002.json")["avatar"]["image"]["sources"][0]["url"],
                ("contact@typetest.io",),
            ),
        ),
    ],
)
async def test_profiles_as_documented(
    client: ScrapeCreatorsProvider, platform: Any, ref: ProfileRef, expected: Profile
) -> None:
    assert await client.profile(platform, ref) == expected


async def test_an_unknown_profile_is_a_404_provider_error(client: ScrapeCreatorsProvider) -> None:
    with pytest.raises(ProviderError, match=r"found no creator @skin\.on\.budget") as raised:
        await client.profile("Instagram", ProfileRef(key="instagram:5103", user_id="5103", handle="skin.on.budget"))
    assert (raised.value.status, raised.value.retryable) == (404, False)


async def test_an_unknown_similar_target_fails_without_retrying(stub: Stub, client: ScrapeCreatorsProvider) -> None:
    with pytest.raises(ProviderError, match="found no creator @nobody") as raised:
        await client.search(SearchSpec("TikTok", None, "nobody", "US"), None)
    assert not raised.value.retryable
    assert len(stub.requests) == 1


def answer(name: str, status: int, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    return status, doc(f"scrapecreators/errors/{name}.json"), headers or {}


async def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(stub: Stub) -> None:
    clock = Clock()
    client = ScrapeCreatorsProvider(
        base_url=stub.url, api_key=SCRAPECREATORS_KEY, http_retries=2, retry_delay_seconds=0.25, sleep=clock.sleep
    )
    stub.script = [answer("429", 429, {"Retry-After": "3"}), answer("500", 500)]
    page = await client.search(SearchSpec("TikTok", ["fashion"], None, "US"), None)
    assert len(page.creators) == 2
    assert len(stub.requests) == 3
    assert clock.waits == [3.0, 0.5], "Retry-After first, then the backoff"
    await client.close()


async def test_a_long_retry_after_is_handed_to_the_job_instead_of_waited_here(stub: Stub) -> None:
    clock = Clock()
    client = ScrapeCreatorsProvider(base_url=stub.url, api_key=SCRAPECREATORS_KEY, sleep=clock.sleep)
    stub.script = [answer("429", 429, {"Retry-After": "120"})]
    with pytest.raises(ProviderError, match="rate limiting") as raised:
        await client.search(SearchSpec("TikTok", ["fashion"], None, "US"), None)
    assert (raised.value.retryable, raised.value.retry_after, raised.value.status) == (True, 120.0, 429)
    assert clock.waits == []
    await client.close()


@pytest.mark.parametrize(
    ("answers", "retryable", "message"),
    [
        ([answer("500", 500)] * 3, True, r"failed \(500\)"),
        ([answer("429", 429, {"Retry-After": "0"})] * 3, True, "rate limiting"),
        ([answer("401", 401)], False, "refused our API key"),
        ([answer("402", 402)], False, "out of credits"),
        ([answer("400", 400)], False, "query is required"),
        ([(200, b"<html>Bad gateway</html>", {})], True, "not JSON"),
        ([(200, b"[1, 2]", {})], True, "not an object"),
        ([(200, doc("scrapecreators/odd/tiktok_search_keyword_not_a_list.json"), {})], True, "cannot read"),
    ],
)
async def test_failures_become_provider_errors(
    stub: Stub, answers: list[tuple[int, bytes, dict[str, str]]], retryable: bool, message: str
) -> None:
    clock = Clock()
    client = ScrapeCreatorsProvider(base_url=stub.url, api_key=SCRAPECREATORS_KEY, http_retries=2, sleep=clock.sleep)
    stub.script = list(answers)
    with pytest.raises(ProviderError, match=message) as raised:
        await client.search(SearchSpec("TikTok", ["fashion"], None, "US"), None)
    assert raised.value.retryable is retryable
    assert len(stub.requests) == len(answers)
    await client.close()


async def test_items_of_an_unexpected_shape_are_skipped_and_counted(stub: Stub, client: ScrapeCreatorsProvider) -> None:
    stub.script = [(200, doc("scrapecreators/odd/tiktok_search_keyword_odd_items.json"), {})]
    page = await client.search(SearchSpec("TikTok", ["fashion"], None, "US"), None)
    assert handles([page]) == ["ok.creator"]
    assert page.skipped == 3


async def test_a_wrong_api_key_is_refused_by_the_stub_as_documented(stub: Stub) -> None:
    client = ScrapeCreatorsProvider(base_url=stub.url, api_key="wrong", timeout_seconds=5)
    with pytest.raises(ProviderError, match="API key"):
        await client.search(SearchSpec("YouTube", ["keyboards"], None, "US"), None)
    await client.close()


async def test_a_slow_provider_times_out_as_retryable() -> None:
    # A port that accepts nothing: every attempt fails to connect, and the last becomes a retryable error.
    clock = Clock()
    client = ScrapeCreatorsProvider(base_url="http://127.0.0.1:9", api_key="k", timeout_seconds=0.2, sleep=clock.sleep)
    with pytest.raises(ProviderError, match="could not be reached") as raised:
        await client.search(SearchSpec("TikTok", ["a"], None, "US"), None)
    assert raised.value.retryable
    assert len(clock.waits) == 2
    await client.close()


def test_a_cursor_from_before_keyword_rotation_still_continues() -> None:
    assert decode_cursor("20").c == "20"
    assert decode_cursor(None).k == 0


def test_similar_query_prefers_hashtags_then_telling_words() -> None:
    assert similar_query("Dave", "Founder. #pizza #NYC reviews") == "pizza nyc"
    assert similar_query("Keeb Lab", "Mechanical keyboard reviews. Business: hello@keeblab.com") == (
        "mechanical keyboard reviews"
    )
    assert similar_query("Keeb Lab", "") == "Keeb Lab"


def test_subscriber_texts() -> None:
    assert [count_text(t) for t in ("2.75M subscribers", "45,600 subscribers", "12K", None, "none")] == [
        2_750_000,
        45_600,
        12_000,
        None,
        None,
    ]


def test_a_profile_completes_what_the_search_answer_lacked() -> None:
    found = {
        "creator": {"name": "x", "handle": "x", "followers": 0, "avatarUrl": None, "bio": "", "emails": []},
        "video": {},
        "hashtags": [],
        "platform": "YouTube",
    }
    done = complete(
        found, Profile(followers=10, bio="mail me: a@b.co", name="Ex", avatar_url="https://i", emails=("c@d.io",))
    )
    assert done["creator"] == {
        "name": "Ex",
        "handle": "x",
        "followers": 10,
        "avatarUrl": "https://i",
        "bio": "mail me: a@b.co",
        "emails": ["a@b.co", "c@d.io"],
    }
    assert complete(found, Profile()) == found


def test_every_fixture_is_json_and_named_in_the_sources_note() -> None:
    note = (DOCS / "SOURCES.md").read_text()
    for path in DOCS.rglob("*.json"):
        json.loads(path.read_text())
        folder = path.relative_to(DOCS).parent.as_posix()
        assert f"`{folder}/" in note or f"`{path.relative_to(DOCS).as_posix()}`" in note, path


def test_profiles_round_trip_through_storage() -> None:
    profile = Profile(1, "b", "n", "https://a", ("e@x.io",))
    assert msgspec.convert(msgspec.to_builtins(profile), Profile) == profile
