"""The provider interface: one search call returns one page of creators.

A page may lack what the product shows about a creator (followers, bio) when
the provider's search answer does not carry it; then `lookups` names, for each
such creator, the profile the provider can fetch to complete it (one call per
creator, see service/worker/enrichment.py).
"""

from typing import Any, Protocol

import msgspec

from service.enumerations import Platform

Creator = dict[str, Any]
"""{creator: {name, handle, followers, avatarUrl, bio, emails}, video: {description, url,
statistics: {likes, comments, shares, views}}, hashtags, platform} (see the README)."""


class SearchSpec(msgspec.Struct, frozen=True):
    """What a job searches for; `options` are the job's validated searchParams (service/search_options.py)."""

    platform: Platform
    keywords: list[str] | None
    target_username: str | None
    region: str
    options: dict[str, Any] = msgspec.field(default_factory=dict)


class ProfileRef(msgspec.Struct, frozen=True):
    """A creator whose profile a provider can fetch: `key` is unique per creator and platform."""

    key: str
    user_id: str | None = None
    handle: str | None = None


class Profile(msgspec.Struct, frozen=True, rename="camel"):
    """What a profile call adds to a creator; None where the answer did not say."""

    followers: int | None = None
    bio: str | None = None
    name: str | None = None
    avatar_url: str | None = None
    emails: tuple[str, ...] = ()


class Page(msgspec.Struct, frozen=True):
    creators: list[Creator]
    next_cursor: str | None
    has_more: bool
    # Provider calls this page cost (a "similar" search's first page also reads the target's profile).
    calls: int = 1
    # Items of the answer that were not of the documented shape and were left out.
    skipped: int = 0
    # Per creator (same order), the profile that completes it, or None; empty when none is needed.
    lookups: tuple[ProfileRef | None, ...] = ()


class ProviderError(Exception):
    """A provider call failed; `retryable` says whether trying again may help.

    `status` is the provider's HTTP status when it answered; `retry_after` the
    seconds it asked us to wait (429 Retry-After).
    """

    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class Provider(Protocol):
    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        """The page at `cursor` (None for the first page)."""
        ...

    async def profile(self, platform: Platform, ref: ProfileRef) -> Profile:
        """The profile `ref` names (one provider call); ProviderError with status 404 when it does not exist."""
        ...

    async def close(self) -> None: ...
