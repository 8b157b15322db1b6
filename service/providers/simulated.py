"""A deterministic provider with realistic creators, so the product works offline.

The same search and cursor always give the same page. Followers follow a
heavy-tailed (Pareto) distribution, engagement scales with reach, some bios
carry an email address, and each search has a fixed number of results.
"""

import asyncio
import hashlib
import random

from service.enumerations import Platform
from service.providers.base import Creator, Page, Profile, ProfileRef, ProviderError, SearchSpec

PAGE_SIZE = 20

_FIRST = (
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Zoe",
    "Ethan",
    "Lena",
    "Omar",
    "Chloe",
    "Mateo",
    "Priya",
    "Kai",
    "Sofia",
    "Jonas",
    "Amara",
    "Leo",
    "Hana",
    "Diego",
    "Nora",
    "Felix",
    "Yara",
    "Theo",
    "Iris",
    "Ravi",
)
_LAST = (
    "Rivera",
    "Chen",
    "Okafor",
    "Novak",
    "Silva",
    "Kim",
    "Haddad",
    "Berg",
    "Moreau",
    "Patel",
    "Costa",
    "Ibrahim",
    "Jensen",
    "Lopez",
    "Tanaka",
    "Walker",
    "Rossi",
    "Nguyen",
    "Schmidt",
    "Mensah",
)
_NICHES = {
    "fashion": ("outfit ideas", "thrift flips", "capsule wardrobe", "street style"),
    "fitness": ("home workouts", "meal prep", "running tips", "mobility"),
    "beauty": ("skincare routine", "makeup tutorial", "nail art", "hair care"),
    "food": ("easy recipes", "street food", "baking", "restaurant reviews"),
    "tech": ("gadget reviews", "coding tips", "setup tours", "AI tools"),
    "travel": ("hidden gems", "budget travel", "van life", "city guides"),
}
_BIOS = (
    "{niche} creator sharing {topic} every week",
    "Helping you with {topic} | {niche} lover",
    "{topic} & more. Based in {city}",
    "Daily {topic}. Collabs open",
    "Your go-to for {topic} | {niche}",
)
_CITIES = ("LA", "London", "Berlin", "Lagos", "Toronto", "Sydney", "Madrid", "Seoul", "NYC", "Paris")
_DOMAINS = {"TikTok": "tiktok.com", "Instagram": "instagram.com", "YouTube": "youtube.com"}


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _query(spec: SearchSpec) -> str:
    return " ".join(spec.keywords) if spec.keywords else f"similar:{spec.target_username or ''}"


def total_results(spec: SearchSpec) -> int:
    """How many creators this search finds in all (60 to 2,000, fixed per search)."""
    return 60 + _seed(spec.platform, _query(spec), spec.region, "total") % 1941


def _followers(rng: random.Random) -> int:
    # Pareto with alpha 1.2 above 1,000: most creators are small, a few are huge.
    return min(int(1000 / (1.0 - rng.random()) ** (1 / 1.2)), 80_000_000)


def _niche_of(spec: SearchSpec, rng: random.Random) -> str:
    words = " ".join(spec.keywords or [spec.target_username or ""]).lower()
    matching = [n for n in _NICHES if n in words]
    return matching[0] if matching else rng.choice(list(_NICHES))


def make_creator(spec: SearchSpec, index: int) -> Creator:
    """The index-th creator of a search (deterministic)."""
    rng = random.Random(_seed(spec.platform, _query(spec), spec.region, str(index)))
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    handle = f"{first}{last}{rng.randrange(10, 9999)}".lower() if rng.random() < 0.6 else f"{first}.{last}".lower()
    niche = _niche_of(spec, rng)
    topic = rng.choice(_NICHES[niche])
    bio = rng.choice(_BIOS).format(niche=niche.capitalize(), topic=topic, city=rng.choice(_CITIES))
    emails = []
    if rng.random() < 0.35:
        emails = [f"{handle.replace('.', '')}@{rng.choice(('gmail.com', 'outlook.com', 'mgmt.co'))}"]
        bio += f" | business: {emails[0]}"
    followers = _followers(rng)
    views = max(100, int(followers * rng.uniform(0.05, 3.0)))
    likes = int(views * rng.uniform(0.01, 0.15))
    keywords = spec.keywords or [niche]
    hashtags = sorted({f"#{k.replace(' ', '').lower()}" for k in keywords} | {f"#{niche}", "#fyp"})
    domain = _DOMAINS[spec.platform]
    return {
        "creator": {
            "name": f"{first} {last}",
            "handle": handle,
            "followers": followers,
            "avatarUrl": f"https://images.example/{spec.platform.lower()}/{handle}.jpg",
            "bio": bio,
            "emails": emails,
        },
        "video": {
            "description": f"{topic.capitalize()} {' '.join(hashtags[:3])}",
            "url": f"https://www.{domain}/@{handle}/video/{_seed(handle, str(index)) % 10**18}",
            "statistics": {
                "likes": likes,
                "comments": int(likes * rng.uniform(0.01, 0.08)),
                "shares": int(likes * rng.uniform(0.005, 0.05)),
                "views": views,
            },
        },
        "hashtags": hashtags,
        "platform": spec.platform,
    }


class SimulatedProvider:
    """Pages of PAGE_SIZE made-up creators; `latency` per call, `failure_rate` of calls fail."""

    def __init__(self, latency_seconds: float = 0.0, failure_rate: float = 0.0, seed: int | None = None) -> None:
        self._latency = latency_seconds
        self._failure_rate = failure_rate
        self._failures = random.Random(seed)

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._failure_rate and self._failures.random() < self._failure_rate:
            raise ProviderError("The simulated provider is temporarily unavailable", retryable=True)
        start = int(cursor or 0)
        end = min(start + PAGE_SIZE, total_results(spec))
        creators = [make_creator(spec, i) for i in range(start, end)]
        has_more = end < total_results(spec)
        return Page(creators=creators, next_cursor=str(end) if has_more else None, has_more=has_more)

    async def profile(self, platform: Platform, ref: ProfileRef) -> Profile:
        # Simulated creators are complete already: search pages carry no lookups.
        raise ProviderError(f"The simulated provider has no profile for {ref.key}", retryable=False, status=404)

    async def close(self) -> None:
        pass


PLATFORMS: tuple[Platform, ...] = ("TikTok", "Instagram", "YouTube")
