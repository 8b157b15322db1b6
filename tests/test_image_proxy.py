"""The avatar proxy against a local image server, and every refusal.

The local server is plain http on 127.0.0.1, which the proxy refuses in
production (https only, public addresses only). The test configures it as
IMAGE_PROXY_TEST_ORIGIN, which relaxes exactly those two rules for exactly
that origin; everything else (allowlist, redirects, size, time, content type,
cache, rate limit) is checked as in production. The private-address rule
itself is tested with a host on the allowlist that resolves to loopback or to
a private network (no connection is made).
"""

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.image_hosts import ImageProxyError, checked_target, host_allowed, is_public_address, parse_host_patterns
from service.image_proxy import ImageProxy, image_type
from service.settings import Settings, SettingsError, load_settings
from tests.image_server import JPEG, MAX_BYTES, PNG, TIMEOUT, ImageServer, image_server

Client = AsyncTestClient[Any]


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with image_server() as served:
        yield served


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def make_proxy(
    origin: str | None,
    *,
    hosts: str = "*.cdninstagram.com,localhost",
    per_minute: int = 1000,
    clock: Callable[[], float] = time.monotonic,
    resolve: Any = None,
) -> ImageProxy:
    extra = {"resolve": resolve} if resolve is not None else {}
    return ImageProxy(
        parse_host_patterns(hosts),
        max_bytes=MAX_BYTES,
        timeout_seconds=TIMEOUT,
        cache_bytes=1_000_000,
        cache_seconds=60,
        requests_per_minute=per_minute,
        test_origin=origin,
        clock=clock,
        **extra,
    )


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
async def proxied(
    settings: Settings, dsn: str, verifier: TokenVerifier, origin: str, clock: Clock
) -> AsyncIterator[Client]:
    """The app with the local server as its test origin, and a budget of 20 images a minute."""
    proxy = make_proxy(origin, per_minute=20, clock=clock)
    app = create_app(settings, dsn, verifier, image_proxy=proxy)
    async with AsyncTestClient(app=app) as client:
        yield client


def image_url(target: str) -> str:
    return f"/api/proxy/image?url={quote(target, safe='')}"


async def test_an_image_through_the_route(proxied: Client, verifier: TokenVerifier, origin: str, user_id: str) -> None:
    # As the frontend asks for it: an <img> with the session cookie and a Referer, no Origin.
    headers = {"Cookie": f"__session={verifier.issue(user_id)}", "Referer": "http://localhost:3000/campaigns/x"}
    response = await proxied.get(image_url(f"{origin}/a.jpg"), headers=headers)
    assert response.status_code == 200, response.text
    assert response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, max-age=60"
    png = await proxied.get(image_url(f"{origin}/a.png"), headers=headers)
    assert (png.status_code, png.headers["content-type"], png.content) == (200, "image/png", PNG)


async def test_a_redirect_on_the_allowlist_is_followed(
    proxied: Client, verifier: TokenVerifier, origin: str, user_id: str
) -> None:
    headers = {"Authorization": f"Bearer {verifier.issue(user_id)}"}
    response = await proxied.get(image_url(f"{origin}/to-a"), headers=headers)
    assert (response.status_code, response.content) == (200, JPEG)


@pytest.mark.parametrize(
    ("target", "status", "reason"),
    [
        ("https://evil.example/a.jpg", 400, "not an image host"),
        ("https://cdninstagram.com.evil.example/a.jpg", 400, "not an image host"),
        ("https://evilcdninstagram.com/a.jpg", 400, "not an image host"),
        ("http://scontent-lax3-1.cdninstagram.com/a.jpg", 400, "https"),
        ("https://scontent.cdninstagram.com:8443/a.jpg", 400, "port"),
        ("https://user:pw@scontent.cdninstagram.com/a.jpg", 400, "credentials"),
        ("https://127.0.0.1/a.jpg", 400, "not an image host"),
        ("https://[::1]/a.jpg", 400, "not an image host"),
        ("https://169.254.169.254/latest/meta-data", 400, "not an image host"),
        ("file:///etc/passwd", 400, "https"),
        ("/etc/passwd", 400, "absolute"),
        ("https://scontent.cdninstagram.com/a b.jpg", 400, "percent-encoded"),
        ("https://scontent.cdninstagram.com/\u00e4.jpg", 400, "percent-encoded"),
        ("https://scontent.cdninstagram.com/a.jpg\r\nHost: evil.example", 400, "percent-encoded"),
        ("https://localhost/a.jpg", 400, "private or local address"),
        ("{origin}/to-elsewhere", 400, "redirected elsewhere"),
        ("{origin}/to-localhost", 400, "private or local address"),
        ("{origin}/to-http", 400, "redirected elsewhere"),
        ("{origin}/loop", 400, "too many times"),
        ("{origin}/big.jpg", 400, "larger than"),
        ("{origin}/big-unannounced.jpg", 400, "larger than"),
        ("{origin}/page.html", 400, "not an image"),
        ("{origin}/disguised.jpg", 400, "not a image/jpeg image"),
        ("{origin}/drawing.svg", 400, "not an image"),
        ("{origin}/untyped.jpg", 400, "without a content type"),
        ("{origin}/missing.jpg", 502, "answered 404"),
        ("{origin}/slow.jpg", 504, "in time"),
        ("http://127.0.0.1:1/a.jpg", 400, "https"),  # the test origin's host on another port is not relaxed
    ],
)
async def test_refusals(
    proxied: Client, verifier: TokenVerifier, origin: str, user_id: str, target: str, status: int, reason: str
) -> None:
    headers = {"Authorization": f"Bearer {verifier.issue(user_id)}"}
    response = await proxied.get(image_url(target.format(origin=origin)), headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert reason in response.json()["error"]


async def test_the_url_is_required_and_a_token_too(proxied: Client, verifier: TokenVerifier, origin: str) -> None:
    headers = {"Authorization": f"Bearer {verifier.issue('user_url')}"}
    assert (await proxied.get("/api/proxy/image", headers=headers)).status_code == 400
    assert (await proxied.get("/api/proxy/image?url=", headers=headers)).status_code == 400
    assert (await proxied.get(image_url(f"{origin}/a.jpg"))).status_code == 401


async def test_images_are_cached(origin: str) -> None:
    clock = Clock()
    proxy = make_proxy(origin, clock=clock)
    try:
        url = f"{origin}/a.jpg?cache-test={time.time_ns()}"
        hits = ImageServer.hits["/a.jpg"]
        assert (await proxy.image("user_a", url)).body == JPEG
        assert (await proxy.image("user_b", url)).body == JPEG  # the image is public: one copy for all
        assert ImageServer.hits["/a.jpg"] == hits + 1
        clock.now += 61  # past cache_seconds
        assert (await proxy.image("user_a", url)).body == JPEG
        assert ImageServer.hits["/a.jpg"] == hits + 2
        # Refusals are not cached: the next request asks again.
        for _ in range(2):
            with pytest.raises(ImageProxyError):
                await proxy.image("user_a", f"{origin}/missing.jpg")
        assert ImageServer.hits["/missing.jpg"] >= 2
    finally:
        await proxy.close()


async def test_the_cache_is_bounded_in_bytes() -> None:
    from service.image_proxy import Image, ImageCache

    clock = Clock()
    cache = ImageCache(max_bytes=3000, seconds=60, clock=clock)
    for name in ("a", "b", "c"):
        cache.put(name, Image("image/jpeg", b"x" * 1000))
    assert cache.get("a") is not None  # now the most recently used
    cache.put("d", Image("image/jpeg", b"x" * 1000))
    assert [n for n in "abcd" if cache.get(n) is not None] == ["a", "c", "d"]
    cache.put("huge", Image("image/jpeg", b"x" * 3001))
    assert cache.get("huge") is None


async def test_each_user_has_a_budget_per_minute(
    proxied: Client, verifier: TokenVerifier, origin: str, clock: Clock, user_id: str, other_user_id: str
) -> None:
    clock.now = 60 * 1_000  # the start of a minute
    mine = {"Authorization": f"Bearer {verifier.issue(user_id)}"}
    for _ in range(20):
        assert (await proxied.get(image_url(f"{origin}/a.jpg"), headers=mine)).status_code == 200
    refused = await proxied.get(image_url(f"{origin}/a.jpg"), headers=mine)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    theirs = {"Authorization": f"Bearer {verifier.issue(other_user_id)}"}
    assert (await proxied.get(image_url(f"{origin}/a.jpg"), headers=theirs)).status_code == 200
    clock.now += 45
    assert (await proxied.get(image_url(f"{origin}/a.jpg"), headers=mine)).headers["retry-after"] == "15"
    clock.now += 15
    assert (await proxied.get(image_url(f"{origin}/a.jpg"), headers=mine)).status_code == 200


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.0.0.5"],
        ["192.168.1.1"],
        ["172.16.0.1"],
        ["169.254.169.254"],
        ["::1"],
        ["fd00::1"],
        ["::ffff:127.0.0.1"],
        ["93.184.216.34", "127.0.0.1"],  # one private address among public ones is enough
        ["0.0.0.0"],  # noqa: S104 (an address the name resolves to, not one we bind)
        [],
    ],
)
async def test_an_allowed_name_resolving_inside_the_network_is_refused(addresses: list[str]) -> None:
    asked: list[tuple[str, int]] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return addresses

    proxy = make_proxy(None, resolve=resolve)
    try:
        with pytest.raises(ImageProxyError) as refused:
            await proxy.image("user_a", "https://scontent-lax3-1.cdninstagram.com/v/a.jpg")
        assert refused.value.status == 400
        assert "private or local address" in refused.value.message or "does not resolve" in refused.value.message
        assert asked == [("scontent-lax3-1.cdninstagram.com", 443)]
    finally:
        await proxy.close()


def test_host_patterns() -> None:
    patterns = parse_host_patterns("*.tiktokcdn.com, yt3.ggpht.com")
    assert host_allowed("p16-sign-va.tiktokcdn.com", patterns)
    assert host_allowed("P16-Sign-VA.TikTokCDN.com.", patterns)
    assert host_allowed("yt3.ggpht.com", patterns)
    assert not host_allowed("tiktokcdn.com", patterns)  # "*." means a subdomain
    assert not host_allowed("eviltiktokcdn.com", patterns)
    assert not host_allowed("sub.yt3.ggpht.com", patterns)  # exact names are exact
    for bad in ("*", "*.com", "10.0.0.1", "*.*.example.com", "a..example"):
        with pytest.raises(ValueError, match="not a host name"):
            parse_host_patterns(bad)
    with pytest.raises(SettingsError, match="not a host name"):
        load_settings({"IMAGE_PROXY_HOSTS": "*"})


def test_the_default_allowlist_holds_the_hosts_seen_in_provider_answers() -> None:
    patterns = parse_host_patterns(Settings().image_proxy_hosts)
    for host in (
        "p16-common-sign-va.tiktokcdn-us.com",
        "p19-pu-sign-useast8.tiktokcdn-us.com",
        "p16-sign-va.tiktokcdn.com",
        "scontent-lax3-1.cdninstagram.com",
        "instagram.fgru5-1.fna.fbcdn.net",
        "yt3.ggpht.com",
        "yt3.googleusercontent.com",
        "i.ytimg.com",
    ):
        assert checked_target(f"https://{host}/a.jpg", patterns).host == host


def test_public_addresses() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946")
    for address in ("127.0.0.1", "10.1.2.3", "100.64.0.1", "::1", "fe80::1%eth0", "224.0.0.1", "::ffff:10.0.0.1"):
        assert not is_public_address(address), address


def test_image_types_must_match_their_bytes() -> None:
    assert image_type("image/jpeg", JPEG[:16]) == "image/jpeg"
    assert image_type("IMAGE/JPG; q=1", JPEG[:16]) == "image/jpeg"
    assert image_type("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type("image/gif", b"GIF89a\x01\x00") == "image/gif"
    for declared, head in (("image/png", JPEG[:16]), ("image/svg+xml", b"<svg"), ("text/html", b"<html>")):
        with pytest.raises(ImageProxyError):
            image_type(declared, head)
