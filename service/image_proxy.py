"""The avatar proxy: fetches an image from an allowed platform CDN, within limits, and caches it.

The platforms' CDNs refuse hot-linked avatars, so the frontend's <img> tags
point at GET /api/proxy/image?url=. Fetching URLs for users is a classic way
into a private network, so every rule is enforced here:

- the URL (and every redirect) must be https on an allowlisted host
  (service/image_hosts.py);
- the host name is resolved here and every address must be public; the
  connection goes to the address that was checked (TLS still verifies the
  certificate against the host name), so a name that changes its answer
  between the check and the connection gains nothing;
- the whole fetch has a deadline, the body a size cap (checked while
  reading, whatever Content-Length says), and only raster image types whose
  first bytes match their declared type are served;
- successes are cached (by URL, bounded in bytes and time), and each user
  has a request budget per minute.
"""

import asyncio
import math
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple
from urllib.parse import urljoin

import certifi
import httpcore

from service.image_hosts import (
    HostPatterns,
    ImageProxyError,
    Target,
    checked_target,
    is_public_address,
    parse_host_patterns,
)
from service.settings import Settings

MAX_REDIRECTS = 3
MAX_CONCURRENT_FETCHES = 16
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Raster types browsers show, each with how its bytes begin. SVG is left out on
# purpose: it is a document that can carry scripts.
_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda b: b.startswith((b"GIF87a", b"GIF89a")),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/avif": lambda b: b[4:8] == b"ftyp" and b[8:12] in (b"avif", b"avis"),
}
USER_AGENT = b"influencer-platform-image-proxy/1"

Resolver = Callable[[str, int], Any]  # async (host, port) -> list of IP address strings


class Image(NamedTuple):
    content_type: str
    body: bytes


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def image_type(content_type: str | None, head: bytes) -> str:
    """The served content type; ImageProxyError unless the declared type is an allowed image matching its bytes."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    matches = _SIGNATURES.get(declared)
    if matches is None:
        raise ImageProxyError(f"the image host answered {declared or 'without a content type'}, not an image")
    if not matches(head):
        raise ImageProxyError(f"the image host's answer is not a {declared} image")
    return declared


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to public addresses of the host, the very addresses it checked."""

    def __init__(self, resolve: Resolver, test_origin: tuple[str, int] | None) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve = resolve
        self._test_origin = test_origin

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._resolve(host, port)
        except OSError:
            raise ImageProxyError(f"{host} does not resolve", status=502) from None
        if not addresses:
            raise ImageProxyError(f"{host} does not resolve")
        if (host, port) != self._test_origin and not all(is_public_address(a) for a in addresses):
            raise ImageProxyError(f"{host} resolves to a private or local address")
        return await self._inner.connect_tcp(
            addresses[0], port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise ImageProxyError("unix sockets are not image hosts")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class ImageCache:
    """Least recently used images, bounded in total bytes, each kept for `seconds`."""

    def __init__(self, max_bytes: int, seconds: float, clock: Callable[[], float]) -> None:
        self._max_bytes = max_bytes
        self._seconds = seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[Image, float]] = OrderedDict()
        self._bytes = 0

    def get(self, url: str) -> Image | None:
        found = self._entries.get(url)
        if found is None:
            return None
        image, expires_at = found
        if self._clock() >= expires_at:
            self._drop(url)
            return None
        self._entries.move_to_end(url)
        return image

    def put(self, url: str, image: Image) -> None:
        if len(image.body) > self._max_bytes or self._seconds <= 0:
            return
        if url in self._entries:
            self._drop(url)
        self._entries[url] = (image, self._clock() + self._seconds)
        self._bytes += len(image.body)
        while self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, url: str) -> None:
        image, _ = self._entries.pop(url)
        self._bytes -= len(image.body)


class RateLimiter:
    """At most `per_minute` requests per user in each clock minute (per process)."""

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._minute = -1
        self._counts: dict[str, int] = {}

    def allow(self, user_id: str) -> float | None:
        """None when the request may go on, else the seconds until the next minute."""
        now = self._clock()
        minute = math.floor(now / 60)
        if minute != self._minute:
            self._minute, self._counts = minute, {}  # a new window: forget the last one's users
        used = self._counts.get(user_id, 0)
        if used >= self._per_minute:
            return 60 - now % 60
        self._counts[user_id] = used + 1
        return None


class ImageProxy:
    """Fetches allowed images for users; one per process, closed with the app."""

    def __init__(
        self,
        patterns: HostPatterns,
        *,
        max_bytes: int,
        timeout_seconds: float,
        cache_bytes: int,
        cache_seconds: float,
        requests_per_minute: int,
        test_origin: str | None = None,
        resolve: Resolver = resolve_host,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._patterns = patterns
        self._max_bytes = max_bytes
        self._timeout = timeout_seconds
        self._test_origin = test_origin
        self.cache = ImageCache(cache_bytes, cache_seconds, clock)
        self.cache_seconds = cache_seconds
        self._limiter = RateLimiter(requests_per_minute, clock)
        self._fetches = asyncio.Semaphore(MAX_CONCURRENT_FETCHES)
        pinned = None
        if test_origin is not None:
            origin = checked_target(test_origin + "/", patterns, test_origin)
            pinned = (origin.host, origin.port)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            max_connections=MAX_CONCURRENT_FETCHES,
            network_backend=_CheckedBackend(resolve, pinned),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> "ImageProxy":
        return cls(
            parse_host_patterns(settings.image_proxy_hosts),
            max_bytes=settings.image_proxy_max_bytes,
            timeout_seconds=settings.image_proxy_timeout_seconds,
            cache_bytes=settings.image_proxy_cache_bytes,
            cache_seconds=settings.image_proxy_cache_seconds,
            requests_per_minute=settings.image_proxy_requests_per_minute,
            test_origin=settings.image_proxy_test_origin,
        )

    async def image(self, user_id: str, url: str) -> Image:
        """The image at url; ImageProxyError with the status to answer otherwise."""
        target = checked_target(url, self._patterns, self._test_origin)
        wait = self._limiter.allow(user_id)
        if wait is not None:
            raise ImageProxyError("Too many image requests; try again shortly", status=429, retry_after=math.ceil(wait))
        cached = self.cache.get(target.url)
        if cached is not None:
            return cached
        async with self._fetches:
            try:
                async with asyncio.timeout(self._timeout):
                    image = await self._follow(target)
            except TimeoutError:
                raise ImageProxyError("the image host did not answer in time", status=504) from None
        self.cache.put(target.url, image)
        return image

    async def _follow(self, target: Target) -> Image:
        for _ in range(MAX_REDIRECTS + 1):
            location = await self._fetch(target)
            if isinstance(location, Image):
                return location
            try:
                target = checked_target(urljoin(target.url, location), self._patterns, self._test_origin)
            except ImageProxyError as refused:
                raise ImageProxyError(f"the image host redirected elsewhere: {refused.message}") from None
        raise ImageProxyError("the image host redirected too many times")

    async def _fetch(self, target: Target) -> Image | str:
        """The image, or the Location of a redirect."""
        headers = [(b"Accept", b"image/avif,image/webp,image/png,image/jpeg,image/gif"), (b"User-Agent", USER_AGENT)]
        try:
            async with self._pool.stream("GET", target.url, headers=headers) as response:
                found = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
                if response.status in REDIRECT_STATUSES and "location" in found:
                    return found["location"]
                if response.status != 200:
                    raise ImageProxyError(f"the image host answered {response.status}", status=502)
                declared_length = found.get("content-length", "")
                if declared_length.isdigit() and int(declared_length) > self._max_bytes:
                    raise ImageProxyError(f"the image is larger than {self._max_bytes} bytes")
                body = bytearray()
                async for chunk in response.aiter_stream():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise ImageProxyError(f"the image is larger than {self._max_bytes} bytes")
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException) as exc:
            raise ImageProxyError(f"could not fetch the image ({type(exc).__name__})", status=502) from None
        except httpcore.UnsupportedProtocol:
            raise ImageProxyError("url must be an https URL") from None
        return Image(image_type(found.get("content-type"), bytes(body[:16])), bytes(body))

    async def close(self) -> None:
        await self._pool.aclose()
