"""The ScrapeCreators API (https://api.scrapecreators.com): keyword and similar-creator searches.

| platform  | keyword search                                   | similar creators                      |
| --------- | ------------------------------------------------ | ------------------------------------- |
| TikTok    | /v1/tiktok/search/keyword (cursor, has_more)     | /v1/tiktok/search/users (cursor)      |
| Instagram | /v2/instagram/reels/search (one page)            | /v1/instagram/profile related profiles |
| YouTube   | /v1/youtube/search (continuationToken)           | /v1/youtube/search on the channel     |

Each response is mapped to our creator objects. 429 and 5xx answers (and
transport errors) are retried a few times here, honouring Retry-After; what
still fails is a retryable ProviderError, and the job retries later with
backoff. Other 4xx answers are not retryable.
"""

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx

from service.providers.base import Creator, Page, ProviderError, SearchSpec

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER_SECONDS = 10.0


def _emails(text: str | None) -> list[str]:
    return sorted(set(EMAIL.findall(text or "")))


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _first_url(image: Any) -> str | None:
    urls = (image or {}).get("url_list") or []
    return urls[0] if urls else None


def _creator(
    platform: str,
    *,
    name: str | None,
    handle: str | None,
    followers: Any,
    avatar: str | None,
    bio: str | None,
    description: str | None = None,
    url: str | None = None,
    likes: Any = 0,
    comments: Any = 0,
    shares: Any = 0,
    views: Any = 0,
    hashtags: list[str] | None = None,
) -> Creator:
    return {
        "creator": {
            "name": name or handle or "",
            "handle": handle or "",
            "followers": _int(followers),
            "avatarUrl": avatar,
            "bio": bio or "",
            "emails": _emails(bio),
        },
        "video": {
            "description": description or "",
            "url": url,
            "statistics": {
                "likes": _int(likes),
                "comments": _int(comments),
                "shares": _int(shares),
                "views": _int(views),
            },
        },
        "hashtags": hashtags or [],
        "platform": platform,
    }


def map_tiktok_videos(body: dict[str, Any]) -> Page:
    creators = []
    for item in body.get("search_item_list") or []:
        video = item.get("aweme_info") or {}
        author = video.get("author") or {}
        stats = video.get("statistics") or {}
        handle = author.get("unique_id")
        creators.append(
            _creator(
                "TikTok",
                name=author.get("nickname"),
                handle=handle,
                followers=author.get("follower_count"),
                avatar=_first_url(author.get("avatar_thumb")),
                bio=author.get("signature"),
                description=video.get("desc"),
                url=video.get("share_url") or f"https://www.tiktok.com/@{handle}/video/{video.get('aweme_id')}",
                likes=stats.get("digg_count"),
                comments=stats.get("comment_count"),
                shares=stats.get("share_count"),
                views=stats.get("play_count"),
                hashtags=[f"#{t['hashtag_name']}" for t in video.get("text_extra") or [] if t.get("hashtag_name")],
            )
        )
    return _tiktok_page(creators, body)


def _tiktok_page(creators: list[Creator], body: dict[str, Any]) -> Page:
    """TikTok answers page with a numeric `cursor` and a `has_more` flag (0/1 or bool)."""
    cursor = body.get("cursor")
    has_more = bool(body.get("has_more")) and cursor is not None
    return Page(creators, str(cursor) if has_more else None, has_more)


def map_tiktok_users(body: dict[str, Any]) -> Page:
    creators = []
    for item in body.get("user_list") or []:
        user = item.get("user_info") or {}
        creators.append(
            _creator(
                "TikTok",
                name=user.get("nickname"),
                handle=user.get("unique_id"),
                followers=user.get("follower_count"),
                avatar=_first_url(user.get("avatar_thumb")),
                bio=user.get("signature"),
            )
        )
    return _tiktok_page(creators, body)


def map_instagram_reels(body: dict[str, Any]) -> Page:
    creators = []
    for reel in body.get("reels") or []:
        owner = reel.get("owner") or {}
        caption = reel.get("caption") or ""
        creators.append(
            _creator(
                "Instagram",
                name=owner.get("full_name"),
                handle=owner.get("username"),
                followers=owner.get("follower_count"),
                avatar=owner.get("profile_pic_url"),
                bio=owner.get("biography"),
                description=caption,
                url=reel.get("url") or f"https://www.instagram.com/reel/{reel.get('shortcode')}/",
                likes=reel.get("like_count"),
                comments=reel.get("comment_count"),
                views=reel.get("video_view_count") or reel.get("play_count"),
                hashtags=sorted(set(re.findall(r"#\w+", caption))),
            )
        )
    return Page(creators, None, False)


def map_instagram_related(body: dict[str, Any]) -> Page:
    user = (body.get("data") or {}).get("user") or {}
    edges = (user.get("edge_related_profiles") or {}).get("edges") or []
    creators = [
        _creator(
            "Instagram",
            name=node.get("full_name"),
            handle=node.get("username"),
            followers=(node.get("edge_followed_by") or {}).get("count"),
            avatar=node.get("profile_pic_url"),
            bio=node.get("biography"),
        )
        for node in (edge.get("node") or {} for edge in edges)
    ]
    return Page(creators, None, False)


def map_youtube_search(body: dict[str, Any]) -> Page:
    creators = []
    for video in body.get("videos") or []:
        channel = video.get("channel") or {}
        creators.append(
            _creator(
                "YouTube",
                name=channel.get("title"),
                handle=channel.get("handle"),
                followers=channel.get("subscriberCount"),
                avatar=channel.get("thumbnail"),
                bio=channel.get("description"),
                description=video.get("title"),
                url=video.get("url"),
                likes=video.get("likeCountInt"),
                comments=video.get("commentCountInt"),
                views=video.get("viewCountInt"),
            )
        )
    token = body.get("continuationToken")
    return Page(creators, token or None, bool(token))


Request = tuple[str, dict[str, str], Callable[[dict[str, Any]], Page]]


def request_for(spec: SearchSpec, cursor: str | None) -> Request:
    """The endpoint, query parameters and response mapping for one page of a search."""
    similar = spec.keywords is None
    query = spec.target_username.lstrip("@") if similar and spec.target_username else " ".join(spec.keywords or [])
    if spec.platform == "TikTok":
        params = {"query": query, "region": spec.region, **({"cursor": cursor} if cursor else {})}
        if similar:
            return "/v1/tiktok/search/users", params, map_tiktok_users
        return "/v1/tiktok/search/keyword", params, map_tiktok_videos
    if spec.platform == "Instagram":
        if similar:
            return "/v1/instagram/profile", {"handle": query}, map_instagram_related
        return "/v2/instagram/reels/search", {"query": query}, map_instagram_reels
    params = {"query": query, **({"continuationToken": cursor} if cursor else {})}
    return "/v1/youtube/search", params, map_youtube_search


class ScrapeCreatorsProvider:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout_seconds: float = 20.0,
        http_retries: int = 2,
        retry_delay_seconds: float = 0.5,
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, headers={"x-api-key": api_key}, timeout=timeout_seconds)
        self._retries = http_retries
        self._retry_delay = retry_delay_seconds

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        path, params, mapping = request_for(spec, cursor)
        response = await self._get(path, params)
        try:
            body = response.json()
        except ValueError:
            raise ProviderError("The scraping provider sent an unreadable answer", retryable=True) from None
        if not isinstance(body, dict):
            raise ProviderError("The scraping provider sent an unexpected answer", retryable=True)
        return mapping(body)

    async def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = await self._client.get(path, params=params)
            except httpx.TransportError as exc:
                if last:
                    raise ProviderError(
                        f"The scraping provider could not be reached ({type(exc).__name__})", retryable=True
                    ) from exc
                await asyncio.sleep(self._retry_delay * 2**attempt)
                continue
            if response.status_code < 400:
                return response
            if response.status_code not in RETRYABLE_STATUS:
                raise ProviderError(_refusal(response), retryable=False)
            if last:
                raise ProviderError(_refusal(response), retryable=True)
            await asyncio.sleep(_retry_after(response, self._retry_delay * 2**attempt))
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self._client.aclose()


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(float(response.headers.get("retry-after", default)), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return default


def _refusal(response: httpx.Response) -> str:
    status = response.status_code
    if status == 401 or status == 403:
        return "The scraping provider refused our API key"
    if status == 429:
        return "The scraping provider is rate limiting us; try again later"
    if status >= 500:
        return f"The scraping provider failed ({status}); try again later"
    try:
        detail = response.json().get("message") or response.json().get("error")
    except (ValueError, AttributeError):
        detail = None
    return f"The scraping provider rejected the search ({status}{': ' + str(detail)[:200] if detail else ''})"
