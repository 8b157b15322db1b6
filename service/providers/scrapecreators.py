"""The ScrapeCreators API (https://api.scrapecreators.com), endpoint by endpoint as documented.

| platform  | keyword search (one keyword at a time) | similar creators                                 |
| --------- | -------------------------------------- | ------------------------------------------------ |
| TikTok    | /v1/tiktok/search/keyword (cursor)     | /v1/tiktok/profile, then /v1/tiktok/search/users |
| Instagram | /v2/instagram/reels/search (page 1-11) | /v1/instagram/profile (related profiles)         |
| YouTube   | /v1/youtube/search (continuationToken) | /v1/youtube/channel, then /v1/youtube/search     |

A creator lacking followers or bio is completed from /v1/tiktok/profile,
/v1/instagram/basic-profile (or /v1/instagram/profile) or /v1/youtube/channel
by the worker (service/worker/enrichment.py), once per creator per job.

A keyword job searches each of its keywords in turn (all pages of the first,
then of the next); the job's cursor remembers which keyword and the provider's
own cursor. TikTok and YouTube have no related-creators data: a similar search
reads the target's profile once and searches for creators with the words of
its bio (see `similar_query`), leaving the target out.

429 and 5xx answers (and transport errors) are retried a few times here,
honouring Retry-After up to MAX_RETRY_AFTER_SECONDS; what still fails is a
retryable ProviderError carrying the Retry-After, and the job retries later.
401/402/404 and other 4xx answers are not retryable.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec

from service.enumerations import Platform
from service.providers.base import Page, Profile, ProfileRef, ProviderError, SearchSpec
from service.providers.scrapecreators_mapping import (
    Mapped,
    UnreadableAnswerError,
    instagram_user,
    map_instagram_basic_profile,
    map_instagram_profile,
    map_instagram_reels,
    map_instagram_related,
    map_tiktok_profile,
    map_tiktok_users,
    map_tiktok_videos,
    map_youtube_channel,
    map_youtube_search,
    obj,
    similar_query,
    text,
)
from service.search_options import provider_params

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 10.0
MAX_DETAIL_CHARS = 200
# "Pages 1 through 11 are supported; page 12 or greater returns a 400 response" (Search Reels).
LAST_REELS_PAGE = 11

Sleep = Callable[[float], Awaitable[None]]


class Cursor(msgspec.Struct, omit_defaults=True):
    """Where a job is: keyword index (keyword search) or query (similar search), and the provider's cursor."""

    k: int = 0
    q: str | None = None
    c: str | None = None


def decode_cursor(raw: str | None) -> Cursor:
    if not raw:
        return Cursor()
    try:
        return msgspec.json.decode(raw, type=Cursor)
    except msgspec.DecodeError:
        return Cursor(c=raw)  # a provider cursor stored before keyword rotation


def encode_cursor(cursor: Cursor) -> str:
    return msgspec.json.encode(cursor).decode()


def _more(mapped: Mapped, at: Cursor, next_cursor: str | None, keywords: list[str] | None, calls: int) -> Page:
    """The page, continuing with this keyword's next provider page, else with the next keyword."""
    if next_cursor is not None:
        following: Cursor | None = Cursor(k=at.k, q=at.q, c=next_cursor)
    elif keywords is not None and at.k + 1 < len(keywords):
        following = Cursor(k=at.k + 1)
    else:
        following = None
    return Page(
        creators=mapped.creators,
        next_cursor=encode_cursor(following) if following else None,
        has_more=following is not None,
        calls=calls,
        skipped=mapped.skipped,
        lookups=tuple(mapped.lookups),
    )


def _tiktok_next(body: dict[str, Any], found_any: bool) -> str | None:
    """TikTok pages with a numeric `cursor` and a `has_more` flag (0/1 or bool; absent on user search)."""
    cursor = body.get("cursor")
    if cursor is None or not found_any or body.get("has_more") in (0, False):
        return None
    return str(cursor)


class ScrapeCreatorsProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_seconds: float = 20.0,
        http_retries: int = 2,
        retry_delay_seconds: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, headers={"x-api-key": api_key}, timeout=timeout_seconds)
        self._retries = http_retries
        self._retry_delay = retry_delay_seconds
        self._sleep = sleep

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        at = decode_cursor(cursor)
        try:
            if spec.keywords is not None:
                return await self._keyword_page(spec, at)
            return await self._similar_page(spec, at)
        except UnreadableAnswerError as exc:
            raise ProviderError(
                f"The scraping provider sent an answer we cannot read ({exc})", retryable=True
            ) from None

    async def _keyword_page(self, spec: SearchSpec, at: Cursor) -> Page:
        keywords = spec.keywords or []
        keyword = keywords[min(at.k, len(keywords) - 1)]
        options = provider_params(spec.options, spec.platform, "keyword")
        if spec.platform == "TikTok":
            params = {"query": keyword, "region": spec.region, **options, **({"cursor": at.c} if at.c else {})}
            body = await self._get_json("/v1/tiktok/search/keyword", params)
            mapped = map_tiktok_videos(body)
            return _more(mapped, at, _tiktok_next(body, bool(body.get("search_item_list"))), keywords, 1)
        if spec.platform == "Instagram":
            page = int(at.c) if at.c and at.c.isdigit() else 1
            body = await self._get_json("/v2/instagram/reels/search", {"query": keyword, "page": str(page), **options})
            mapped = map_instagram_reels(body)
            # No has_more is documented: a page with reels may be followed by another, up to the last page served.
            more = bool(body.get("reels")) and page < LAST_REELS_PAGE
            return _more(mapped, at, str(page + 1) if more else None, keywords, 1)
        params = {
            "query": keyword,
            "region": spec.region,
            "includeExtras": "true",
            **options,
            **({"continuationToken": at.c} if at.c else {}),
        }
        body = await self._get_json("/v1/youtube/search", params)
        mapped = map_youtube_search(body)
        return _more(mapped, at, text(body.get("continuationToken")) or None, keywords, 1)

    async def _similar_page(self, spec: SearchSpec, at: Cursor) -> Page:
        target = (spec.target_username or "").lstrip("@")
        if spec.platform == "Instagram":
            body = await self._get_json("/v1/instagram/profile", {"handle": target}, missing=f"@{target}")
            return _more(map_instagram_related(body, exclude=target), at, None, None, 1)
        calls = 0
        query = at.q
        if query is None:  # the first page: read the target once, keep the query in the cursor
            calls += 1
            if spec.platform == "TikTok":
                profile = map_tiktok_profile(
                    await self._get_json("/v1/tiktok/profile", {"handle": target}, missing=f"@{target}")
                )
            else:
                profile = map_youtube_channel(
                    await self._get_json("/v1/youtube/channel", {"handle": target}, missing=f"@{target}")
                )
            query = similar_query(profile.name, profile.bio) or target
            at = Cursor(q=query)
        calls += 1
        if spec.platform == "TikTok":
            body = await self._get_json(
                "/v1/tiktok/search/users", {"query": query, **({"cursor": at.c} if at.c else {})}
            )
            mapped = map_tiktok_users(body, exclude=target)
            return _more(mapped, at, _tiktok_next(body, bool(body.get("users"))), None, calls)
        options = provider_params(spec.options, spec.platform, "similar")
        params = {
            "query": query,
            "region": spec.region,
            "includeExtras": "true",
            **options,
            **({"continuationToken": at.c} if at.c else {}),
        }
        body = await self._get_json("/v1/youtube/search", params)
        mapped = map_youtube_search(body, exclude=target)
        return _more(mapped, at, text(body.get("continuationToken")) or None, None, calls)

    async def profile(self, platform: Platform, ref: ProfileRef) -> Profile:
        name = f"@{ref.handle}" if ref.handle else ref.key
        try:
            if platform == "TikTok":
                return map_tiktok_profile(
                    await self._get_json("/v1/tiktok/profile", {"handle": ref.handle or ""}, missing=name)
                )
            if platform == "Instagram":
                if ref.user_id:
                    body = await self._get_json("/v1/instagram/basic-profile", {"userId": ref.user_id}, missing=name)
                    return map_instagram_basic_profile(body)
                body = await self._get_json("/v1/instagram/profile", {"handle": ref.handle or ""}, missing=name)
                instagram_user(body)
                return map_instagram_profile(body)
            params = {"channelId": ref.user_id} if ref.user_id else {"handle": ref.handle or ""}
            return map_youtube_channel(await self._get_json("/v1/youtube/channel", params, missing=name))
        except UnreadableAnswerError as exc:
            raise ProviderError(
                f"The scraping provider sent a profile we cannot read ({exc})", retryable=True
            ) from None

    async def _get_json(self, path: str, params: dict[str, str], *, missing: str | None = None) -> dict[str, Any]:
        response = await self._get(path, params, missing)
        try:
            body = response.json()
        except ValueError:
            raise ProviderError("The scraping provider sent an unreadable answer (not JSON)", retryable=True) from None
        if not isinstance(body, dict):
            raise ProviderError("The scraping provider sent an answer we cannot read (not an object)", retryable=True)
        return body

    async def _get(self, path: str, params: dict[str, str], missing: str | None) -> httpx.Response:
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = await self._client.get(path, params=params)
            except httpx.TransportError as exc:
                if last:
                    raise ProviderError(
                        f"The scraping provider could not be reached ({type(exc).__name__})", retryable=True
                    ) from exc
                await self._sleep(self._retry_delay * 2**attempt)
                continue
            if response.status_code < 400:
                return response
            if response.status_code not in RETRYABLE_STATUS:
                raise ProviderError(_refusal(response, missing), retryable=False, status=response.status_code)
            wait = _retry_after(response)
            if last or (wait is not None and wait > MAX_RETRY_AFTER_SECONDS):
                raise ProviderError(
                    _refusal(response, missing), retryable=True, status=response.status_code, retry_after=wait
                )
            await self._sleep(wait if wait is not None else self._retry_delay * 2**attempt)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self._client.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (the delta form; an HTTP date is not sent by this API)."""
    try:
        return max(float(response.headers["retry-after"]), 0.0)
    except (KeyError, ValueError):
        return None


def _detail(response: httpx.Response) -> str | None:
    try:
        body = obj(response.json())
    except ValueError:
        return None
    found = body.get("message") or body.get("error")
    return str(found)[:MAX_DETAIL_CHARS] if found else None


def _refusal(response: httpx.Response, missing: str | None) -> str:
    status = response.status_code
    if status in (401, 403):
        return "The scraping provider refused our API key"
    if status == 402:
        return "The scraping provider account is out of credits"
    if status == 404 and missing:
        return f"The scraping provider found no creator {missing}"
    if status == 429:
        return "The scraping provider is rate limiting us; try again later"
    if status >= 500:
        return f"The scraping provider failed ({status}); try again later"
    detail = _detail(response)
    return f"The scraping provider rejected the search ({status}{': ' + detail if detail else ''})"
