"""ScrapeCreators answers -> our creators: pure functions, one per documented endpoint.

Each search mapper returns the creators it could read, for each the profile
that would complete it (when the answer lacks followers or bio), and how many
items it skipped because they were not of the documented shape. A page whose
list itself is not a list cannot be read at all: UnreadableAnswerError.
"""

import re
from typing import Any

import msgspec

from service.enumerations import Platform
from service.providers.base import Creator, Profile, ProfileRef

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
HASHTAG = re.compile(r"#(\w+)")
COUNT_TEXT = re.compile(r"([\d.,]+)\s*([KMB]?)", re.IGNORECASE)
MULTIPLIERS = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
# Words too common to say what a creator is about (similar searches build their query from a bio).
STOPWORDS = frozenset(
    {
        "about",
        "with",
        "your",
        "that",
        "this",
        "from",
        "have",
        "will",
        "just",
        "more",
        "here",
        "what",
        "when",
        "they",
        "them",
        "their",
        "there",
        "were",
        "been",
        "into",
        "over",
        "only",
        "also",
        "some",
        "like",
        "love",
        "life",
        "daily",
        "follow",
        "link",
        "bio",
        "contact",
        "email",
        "business",
        "inquiries",
        "official",
        "account",
        "page",
        "channel",
        "videos",
        "video",
        "subscribe",
        "creator",
        "content",
        "new",
    }
)
SIMILAR_QUERY_WORDS = 3


class UnreadableAnswerError(Exception):
    """The answer is JSON but not of the documented shape at all."""


class Mapped(msgspec.Struct):
    creators: list[Creator]
    lookups: list[ProfileRef | None]
    skipped: int = 0


def emails_in(*texts: str | None) -> list[str]:
    return sorted({m.lower() for text in texts if text for m in EMAIL.findall(text)})


def number(value: Any) -> int | None:
    """A count as the answer gives it (int, float or digit string); None when absent or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def count_text(text: Any) -> int | None:
    """'1.2M subscribers' -> 1200000; None when there is no count in it."""
    if not isinstance(text, str):
        return None
    match = COUNT_TEXT.search(text.replace("\u00a0", " "))
    if match is None:
        return None
    digits, unit = match.group(1).replace(",", ""), match.group(2).upper()
    try:
        return int(float(digits) * MULTIPLIERS[unit])
    except ValueError:
        return None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(body: dict[str, Any], key: str) -> list[Any]:
    """The answer's list under `key`: absent or null is an empty page; anything else unreadable."""
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableAnswerError(f"'{key}' is not a list")
    return value


def first_url(image: Any) -> str | None:
    """An image as TikTok nests it ({url_list: [...]}) or as a plain URL."""
    if isinstance(image, str):
        return image
    urls = obj(image).get("url_list")
    return urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], str) else None


def hashtags_in(*texts: str | None) -> list[str]:
    return sorted({f"#{tag.lower()}" for t in texts if t for tag in HASHTAG.findall(t)})


def creator(
    platform: Platform,
    *,
    name: str | None,
    handle: str,
    followers: int | None,
    avatar: str | None,
    bio: str | None,
    description: str | None = None,
    url: str | None = None,
    likes: Any = None,
    comments: Any = None,
    shares: Any = None,
    views: Any = None,
    hashtags: list[str] | None = None,
    extra_emails: list[str] | None = None,
) -> Creator:
    return {
        "creator": {
            "name": name or handle,
            "handle": handle,
            "followers": followers or 0,
            "avatarUrl": avatar,
            "bio": bio or "",
            "emails": sorted(set(emails_in(bio)) | set(extra_emails or [])),
        },
        "video": {
            "description": description or "",
            "url": url,
            "statistics": {
                "likes": number(likes) or 0,
                "comments": number(comments) or 0,
                "shares": number(shares) or 0,
                "views": number(views) or 0,
            },
        },
        "hashtags": hashtags or [],
        "platform": platform,
    }


def complete(found: Creator, profile: Profile) -> Creator:
    """The creator with what its profile adds (a search answer's own values stay where the profile is silent)."""
    person = dict(found["creator"])
    if profile.followers is not None:
        person["followers"] = profile.followers
    if profile.bio:
        person["bio"] = profile.bio
    if profile.name and person.get("name") in (None, "", person.get("handle")):
        person["name"] = profile.name
    if profile.avatar_url and not person.get("avatarUrl"):
        person["avatarUrl"] = profile.avatar_url
    person["emails"] = sorted(set(person.get("emails") or []) | set(emails_in(profile.bio)) | set(profile.emails))
    return {**found, "creator": person}


def _needs_profile(followers: int | None, bio: Any) -> bool:
    return followers is None or not isinstance(bio, str)


# --- TikTok ---------------------------------------------------------------------------------


def tiktok_ref(handle: str) -> ProfileRef:
    return ProfileRef(key=f"tiktok:{handle.lower()}", handle=handle)


def _tiktok_creator(user: dict[str, Any], handle: str, **video: Any) -> tuple[Creator, ProfileRef | None]:
    """A TikTok creator from a search answer's author or user_info (the same snake_case fields)."""
    followers = number(user.get("follower_count"))
    found = creator(
        "TikTok",
        name=text(user.get("nickname")),
        handle=handle,
        followers=followers,
        avatar=first_url(user.get("avatar_thumb")) or first_url(user.get("avatar_medium")),
        bio=text(user.get("signature")),
        **video,
    )
    return found, tiktok_ref(handle) if _needs_profile(followers, user.get("signature")) else None


def map_tiktok_videos(body: dict[str, Any]) -> Mapped:
    """/v1/tiktok/search/keyword: search_item_list[].aweme_info with its author and statistics."""
    mapped = Mapped([], [])
    for item in items(body, "search_item_list"):
        video = obj(obj(item).get("aweme_info"))
        author = obj(video.get("author"))
        handle = text(author.get("unique_id"))
        if not handle:
            mapped.skipped += 1
            continue
        stats = obj(video.get("statistics"))
        desc = text(video.get("desc"))
        tags = [
            f"#{t['hashtag_name'].lower()}"
            for t in video.get("text_extra") or []
            if isinstance(t, dict) and isinstance(t.get("hashtag_name"), str) and t["hashtag_name"]
        ]
        found, lookup = _tiktok_creator(
            author,
            handle,
            description=desc,
            # share_url carries tracking parameters; this is the video's canonical address.
            url=f"https://www.tiktok.com/@{handle}/video/{video.get('aweme_id')}",
            likes=stats.get("digg_count"),
            comments=stats.get("comment_count"),
            shares=stats.get("share_count"),
            views=stats.get("play_count"),
            hashtags=sorted(set(tags) | set(hashtags_in(desc))),
        )
        mapped.creators.append(found)
        mapped.lookups.append(lookup)
    return mapped


def map_tiktok_users(body: dict[str, Any], exclude: str | None = None) -> Mapped:
    """/v1/tiktok/search/users: users[].user_info."""
    mapped = Mapped([], [])
    for item in items(body, "users"):
        user = obj(obj(item).get("user_info"))
        handle = text(user.get("unique_id"))
        if not handle:
            mapped.skipped += 1
            continue
        if exclude and handle.lower() == exclude.lower():
            continue
        found, lookup = _tiktok_creator(user, handle, url=f"https://www.tiktok.com/@{handle}")
        mapped.creators.append(found)
        mapped.lookups.append(lookup)
    return mapped


def map_tiktok_profile(body: dict[str, Any]) -> Profile:
    """/v1/tiktok/profile: user{uniqueId, nickname, signature, avatar*} and stats{followerCount}."""
    user, stats = obj(body.get("user")), obj(body.get("stats"))
    if not user:
        raise UnreadableAnswerError("no 'user' in the profile")
    return Profile(
        followers=number(stats.get("followerCount")),
        bio=text(user.get("signature")),
        name=text(user.get("nickname")),
        avatar_url=first_url(user.get("avatarMedium")) or first_url(user.get("avatarThumb")),
    )


# --- Instagram ------------------------------------------------------------------------------


def instagram_ref(user_id: str | None, handle: str) -> ProfileRef:
    return ProfileRef(key=f"instagram:{(user_id or handle).lower()}", user_id=user_id, handle=handle)


def _reel_caption(reel: dict[str, Any]) -> str | None:
    caption = reel.get("caption")
    return text(obj(caption).get("text")) if isinstance(caption, dict) else text(caption)


def map_instagram_reels(body: dict[str, Any]) -> Mapped:
    """/v2/instagram/reels/search: reels[] (each the media itself, or wrapped in {media}) with its owner."""
    mapped = Mapped([], [])
    for item in items(body, "reels"):
        reel = obj(obj(item).get("media")) or obj(item)
        owner = obj(reel.get("owner")) or obj(reel.get("user"))
        handle = text(owner.get("username"))
        if not handle:
            mapped.skipped += 1
            continue
        caption = _reel_caption(reel)
        followers = number(owner.get("follower_count"))
        shortcode = text(reel.get("shortcode")) or text(reel.get("code"))
        user_id = owner.get("id") or owner.get("pk")
        mapped.creators.append(
            creator(
                "Instagram",
                name=text(owner.get("full_name")),
                handle=handle,
                followers=followers,
                avatar=text(owner.get("profile_pic_url")),
                bio=text(owner.get("biography")),
                description=caption,
                url=text(reel.get("url")) or (f"https://www.instagram.com/reel/{shortcode}/" if shortcode else None),
                likes=reel.get("like_count"),
                comments=reel.get("comment_count"),
                views=reel.get("video_view_count") or reel.get("play_count") or reel.get("video_play_count"),
                hashtags=hashtags_in(caption),
            )
        )
        needs = _needs_profile(followers, owner.get("biography"))
        mapped.lookups.append(instagram_ref(str(user_id) if user_id else None, handle) if needs else None)
    return mapped


def instagram_user(body: dict[str, Any]) -> dict[str, Any]:
    """The user of a /v1/instagram/profile answer (data.user)."""
    user = obj(obj(body.get("data")).get("user"))
    if not user:
        raise UnreadableAnswerError("no 'data.user' in the profile")
    return user


def map_instagram_related(body: dict[str, Any], exclude: str | None = None) -> Mapped:
    """/v1/instagram/profile: data.user.edge_related_profiles.edges[].node (no followers, no bio)."""
    mapped = Mapped([], [])
    edges = items(obj(instagram_user(body).get("edge_related_profiles")), "edges")
    for edge in edges:
        node = obj(obj(edge).get("node"))
        handle = text(node.get("username"))
        if not handle:
            mapped.skipped += 1
            continue
        if exclude and handle.lower() == exclude.lower():
            continue
        mapped.creators.append(
            creator(
                "Instagram",
                name=text(node.get("full_name")),
                handle=handle,
                followers=None,
                avatar=text(node.get("profile_pic_url")),
                bio=None,
                url=f"https://www.instagram.com/{handle}/",
            )
        )
        user_id = node.get("id")
        mapped.lookups.append(instagram_ref(str(user_id) if user_id else None, handle))
    return mapped


def _instagram_profile(user: dict[str, Any], followers: Any, email: Any) -> Profile:
    return Profile(
        followers=number(followers),
        bio=text(user.get("biography")),
        name=text(user.get("full_name")),
        avatar_url=text(user.get("profile_pic_url")),
        emails=tuple(emails_in(text(email))),
    )


def map_instagram_basic_profile(body: dict[str, Any]) -> Profile:
    """/v1/instagram/basic-profile: the user itself (follower_count, biography, ...)."""
    if not any(key in body for key in ("username", "follower_count", "biography", "full_name")):
        raise UnreadableAnswerError("not a basic profile")
    return _instagram_profile(body, body.get("follower_count"), body.get("public_email"))


def map_instagram_profile(body: dict[str, Any]) -> Profile:
    """/v1/instagram/profile: data.user with edge_followed_by.count."""
    user = instagram_user(body)
    return _instagram_profile(user, obj(user.get("edge_followed_by")).get("count"), user.get("business_email"))


# --- YouTube --------------------------------------------------------------------------------


def youtube_ref(channel_id: str | None, handle: str) -> ProfileRef:
    return ProfileRef(key=f"youtube:{(channel_id or handle).lower()}", user_id=channel_id, handle=handle)


def map_youtube_search(body: dict[str, Any], exclude: str | None = None) -> Mapped:
    """/v1/youtube/search: videos[] with a channel{id, title, handle, thumbnail}; counts with includeExtras."""
    mapped = Mapped([], [])
    for item in items(body, "videos"):
        video = obj(item)
        channel = obj(video.get("channel"))
        channel_id = text(channel.get("id"))
        # A channel without a handle is given as "channel/<id>": its id stands in.
        given = text(channel.get("handle"))
        handle = given if given and not given.startswith("channel/") else channel_id
        if not handle or not text(video.get("url")):
            mapped.skipped += 1
            continue
        if exclude and exclude.lower().lstrip("@") in {handle.lower().lstrip("@"), (channel_id or "").lower()}:
            continue
        title, description = text(video.get("title")), text(video.get("description"))
        mapped.creators.append(
            creator(
                "YouTube",
                name=text(channel.get("title")),
                handle=handle,
                followers=None,
                avatar=text(channel.get("thumbnail")),
                bio=None,
                description=title,
                url=text(video.get("url")),
                likes=video.get("likeCountInt"),  # with includeExtras=true
                comments=video.get("commentCountInt"),
                views=video.get("viewCountInt"),
                hashtags=hashtags_in(title, description),
            )
        )
        mapped.lookups.append(youtube_ref(channel_id, handle))
    return mapped


def map_youtube_channel(body: dict[str, Any]) -> Profile:
    """/v1/youtube/channel: name, description, subscriberCount (or its text), email, avatar."""
    if not any(key in body for key in ("channelId", "name", "subscriberCount", "subscriberCountText")):
        raise UnreadableAnswerError("not a channel")
    sources = obj(obj(body.get("avatar")).get("image")).get("sources")
    avatar = obj(sources[0]).get("url") if isinstance(sources, list) and sources else None
    followers = number(body.get("subscriberCount"))
    return Profile(
        followers=followers if followers is not None else count_text(body.get("subscriberCountText")),
        bio=text(body.get("description")),
        name=text(body.get("name")),
        avatar_url=text(avatar),
        emails=tuple(emails_in(text(body.get("email")))),
    )


def similar_query(name: str | None, bio: str | None) -> str:
    """Search words for creators like this one: its bio's hashtags, else its bio's telling words, else its name."""
    bio_text = re.sub(r"https?://\S+", " ", EMAIL.sub(" ", bio or ""))
    tags = [tag.lower() for tag in HASHTAG.findall(bio_text)]
    words = tags or [w.lower() for w in re.findall(r"[^\W\d_]{4,}", HASHTAG.sub(" ", bio_text))]
    chosen: list[str] = []
    for word in words:
        if word not in STOPWORDS and word not in chosen:
            chosen.append(word)
    if chosen:
        return " ".join(chosen[:SIMILAR_QUERY_WORDS])
    return (name or "").strip()
