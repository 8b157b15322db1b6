"""The provider interface: one call returns one page of creators."""

from typing import Any, Protocol

import msgspec

from service.enumerations import Platform

Creator = dict[str, Any]
"""{creator: {name, handle, followers, avatarUrl, bio, emails}, video: {description, url,
statistics: {likes, comments, shares, views}}, hashtags, platform} (see the README)."""


class SearchSpec(msgspec.Struct, frozen=True):
    """What a job searches for."""

    platform: Platform
    keywords: list[str] | None
    target_username: str | None
    region: str


class Page(msgspec.Struct, frozen=True):
    creators: list[Creator]
    next_cursor: str | None
    has_more: bool


class ProviderError(Exception):
    """A provider call failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Provider(Protocol):
    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        """The page at `cursor` (None for the first page)."""
        ...

    async def close(self) -> None: ...
