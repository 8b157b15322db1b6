"""The ScrapeCreators client against a local stub server with recorded-shape answers."""

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from service.providers.base import ProviderError, SearchSpec
from service.providers.scrapecreators import ScrapeCreatorsProvider

RECORDED = Path(__file__).parent / "recorded"
API_KEY = "sc-test-key"


class Stub:
    """Answers by path; `script` queues (status, body, headers) answers that come first."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], str | None]] = []
        self.script: list[tuple[int, bytes, dict[str, str]]] = []
        self.delay = 0.0

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        if self.script:
            return self.script.pop(0)
        name = {
            "/v1/tiktok/search/keyword": "tiktok_keyword_page2" if query.get("cursor") else "tiktok_keyword_page1",
            "/v1/tiktok/search/users": "tiktok_users",
            "/v2/instagram/reels/search": "instagram_reels",
            "/v1/instagram/profile": "instagram_profile",
            "/v1/youtube/search": "youtube_search",
        }.get(path)
        if name is None:
            return 404, b'{"message": "no such endpoint"}', {}
        return 200, (RECORDED / f"{name}.json").read_bytes(), {}


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            state.requests.append((parts.path, query, self.headers.get("x-api-key")))
            time.sleep(state.delay)
            status, body, headers = state.answer(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError):  # the client gave up waiting (the timeout test)
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def provider(base_url: str, timeout: float = 5.0) -> ScrapeCreatorsProvider:
    return ScrapeCreatorsProvider(
        base_url=base_url, api_key=API_KEY, timeout_seconds=timeout, http_retries=2, retry_delay_seconds=0.01
    )


async def test_tiktok_keyword_search_pages_and_maps_creators(stub: tuple[Stub, str]) -> None:
    state, url = stub
    client = provider(url)
    spec = SearchSpec(platform="TikTok", keywords=["summer", "fashion"], target_username=None, region="GB")
    first = await client.search(spec, None)
    assert (len(first.creators), first.next_cursor, first.has_more) == (2, "20", True)
    mila = first.creators[0]
    assert mila["creator"] == {
        "name": "Mila Styles",
        "handle": "mila.styles",
        "followers": 184000,
        "avatarUrl": "https://p16.tiktokcdn.example/mila.jpeg",
        "bio": "Stylist in LA ✨ collabs: mila@stylesmgmt.com",
        "emails": ["mila@stylesmgmt.com"],
    }
    assert mila["video"]["statistics"] == {"likes": 22000, "comments": 310, "shares": 120, "views": 410000}
    assert mila["hashtags"] == ["#fashion", "#summerstyle"]
    assert first.creators[1]["video"]["url"] == "https://www.tiktok.com/@jo_thrifts/video/7302222222222222222"

    second = await client.search(spec, first.next_cursor)
    assert (len(second.creators), second.next_cursor, second.has_more) == (1, None, False)
    path, query, key = state.requests[-1]
    assert (path, query, key) == (
        "/v1/tiktok/search/keyword",
        {"query": ["summer fashion"], "region": ["GB"], "cursor": ["20"]},
        API_KEY,
    )
    await client.close()


@pytest.mark.parametrize(
    ("spec", "path", "handle", "emails"),
    [
        (SearchSpec("TikTok", None, "@mkbhd", "US"), "/v1/tiktok/search/users", "techtom", ["tom@techtom.tv"]),
        (
            SearchSpec("Instagram", ["skincare"], None, "US"),
            "/v2/instagram/reels/search",
            "glow.with.lee",
            ["lee@glowmail.com"],
        ),
        (SearchSpec("Instagram", None, "target.creator", "US"), "/v1/instagram/profile", "similar.one", []),
        (SearchSpec("YouTube", ["keyboards"], None, "US"), "/v1/youtube/search", "@keeblab", ["hello@keeblab.com"]),
    ],
)
async def test_every_platform_and_search_type(
    stub: tuple[Stub, str], spec: SearchSpec, path: str, handle: str, emails: list[str]
) -> None:
    state, url = stub
    client = provider(url)
    page = await client.search(spec, None)
    assert state.requests[-1][0] == path
    assert page.creators[0]["creator"]["handle"] == handle
    assert page.creators[0]["creator"]["emails"] == emails
    assert page.creators[0]["platform"] == spec.platform
    await client.close()


async def test_youtube_continues_with_its_token(stub: tuple[Stub, str]) -> None:
    state, url = stub
    client = provider(url)
    page = await client.search(SearchSpec("YouTube", ["keyboards"], None, "US"), "EpcDEgRrZXli")
    assert state.requests[-1][1]["continuationToken"] == ["EpcDEgRrZXli"]
    assert page.next_cursor == "EpcDEgRrZXli"
    await client.close()


async def test_rate_limits_and_server_errors_are_retried(stub: tuple[Stub, str]) -> None:
    state, url = stub
    state.script = [(429, b'{"message": "slow down"}', {"Retry-After": "0"}), (502, b"bad gateway", {})]
    client = provider(url)
    page = await client.search(SearchSpec("TikTok", ["a"], None, "US"), None)
    assert len(page.creators) == 2
    assert len(state.requests) == 3
    await client.close()


@pytest.mark.parametrize(
    ("answers", "retryable", "message"),
    [
        ([(500, b"oops", {})] * 3, True, r"failed \(500\)"),
        ([(429, b"{}", {"Retry-After": "0"})] * 3, True, "rate limiting"),
        ([(401, b'{"message": "bad key"}', {})], False, "API key"),
        ([(400, b'{"message": "query is required"}', {})], False, "query is required"),
        ([(200, b"<html>not json</html>", {})], True, "unreadable"),
    ],
)
async def test_failures_become_provider_errors(
    stub: tuple[Stub, str], answers: list[tuple[int, bytes, dict[str, str]]], retryable: bool, message: str
) -> None:
    state, url = stub
    state.script = list(answers)
    client = provider(url)
    with pytest.raises(ProviderError, match=message) as raised:
        await client.search(SearchSpec("TikTok", ["a"], None, "US"), None)
    assert raised.value.retryable is retryable
    assert len(state.requests) == len(answers)
    await client.close()


async def test_a_slow_provider_times_out_as_retryable(stub: tuple[Stub, str]) -> None:
    state, url = stub
    state.delay = 0.5
    client = provider(url, timeout=0.1)
    with pytest.raises(ProviderError, match="could not be reached") as raised:
        await client.search(SearchSpec("TikTok", ["a"], None, "US"), None)
    assert raised.value.retryable
    await client.close()


def test_recorded_answers_are_valid_json() -> None:
    for path in RECORDED.glob("*.json"):
        json.loads(path.read_text())
