"""The user's email address from the identity provider (Clerk's Backend API), for the welcome email.

Clerk's default session token has no `email` claim, so when the sign-in token
gave none, the address is the user's primary email address as
`GET /v1/users/{user_id}` reports it (`primary_email_address_id` naming one of
`email_addresses`), read with the secret key from CLERK_SECRET_KEY. Answers
are cached per process: an address for ADDRESS_CACHE_SECONDS, a user without
one (or unknown to Clerk) for MISSING_CACHE_SECONDS; failures are not cached.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import msgspec

from service.settings import Settings

log = logging.getLogger(__name__)

ADDRESS_CACHE_SECONDS = 600.0
MISSING_CACHE_SECONDS = 60.0
CACHE_SIZE = 10_000


class AddressLookup(msgspec.Struct, frozen=True):
    """An address, or why there is none; `retry` when asking again later may give one."""

    address: str | None
    reason: str | None = None
    retry: bool = False
    retry_after: float | None = None


class EmailDirectory(Protocol):
    async def primary_email(self, user_id: str) -> AddressLookup: ...

    async def close(self) -> None: ...


def primary_address(user: Any) -> str | None:
    """The primary email address of a Clerk User object; None when it has none."""
    if not isinstance(user, dict):
        return None
    primary = user.get("primary_email_address_id")
    for entry in user.get("email_addresses") or []:
        if isinstance(entry, dict) and entry.get("id") == primary and isinstance(entry.get("email_address"), str):
            address: str = entry["email_address"]
            return address or None
    return None


def _clerk_error(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        first = errors[0]
        return str(first.get("long_message") or first.get("message"))[:200]
    except (ValueError, AttributeError, IndexError, TypeError):
        return f"HTTP {response.status_code}"


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(float(response.headers["retry-after"]), 0.0)
    except (KeyError, ValueError):
        return None


class ClerkDirectory:
    def __init__(
        self,
        *,
        api_url: str,
        secret_key: str,
        timeout_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=api_url, headers={"Authorization": f"Bearer {secret_key}"}, timeout=timeout_seconds
        )
        self._clock = clock
        self._cache: dict[str, tuple[AddressLookup, float]] = {}

    async def primary_email(self, user_id: str) -> AddressLookup:
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        lookup = await self._ask(user_id)
        if not lookup.retry:
            ttl = ADDRESS_CACHE_SECONDS if lookup.address else MISSING_CACHE_SECONDS
            if len(self._cache) >= CACHE_SIZE:
                del self._cache[next(iter(self._cache))]
            self._cache[user_id] = (lookup, self._clock() + ttl)
        return lookup

    async def _ask(self, user_id: str) -> AddressLookup:
        try:
            response = await self._client.get(f"/v1/users/{quote(user_id, safe='')}")
        except httpx.HTTPError as exc:
            return AddressLookup(None, f"Clerk could not be reached ({type(exc).__name__})", retry=True)
        status = response.status_code
        if status == 200:
            try:
                user = response.json()
            except ValueError:
                return AddressLookup(None, "Clerk sent an unreadable answer", retry=True)
            address = primary_address(user)
            return AddressLookup(address, None if address else "the Clerk user has no primary email address")
        if status == 404:
            return AddressLookup(None, f"Clerk has no user {user_id}")
        if status in (401, 403):
            log.error("Clerk refused CLERK_SECRET_KEY (%d): %s", status, _clerk_error(response))
            return AddressLookup(None, f"Clerk refused the secret key ({status}: {_clerk_error(response)})", retry=True)
        if status == 429:
            return AddressLookup(None, "Clerk is rate limiting us", retry=True, retry_after=_retry_after(response))
        return AddressLookup(None, f"Clerk failed ({status}: {_clerk_error(response)})", retry=True)

    async def close(self) -> None:
        await self._client.aclose()


def directory_for(settings: Settings) -> EmailDirectory | None:
    """Clerk when its secret key is configured; otherwise only the token's email claim counts."""
    if not settings.clerk_secret_key:
        return None
    return ClerkDirectory(
        api_url=settings.clerk_api_url,
        secret_key=settings.clerk_secret_key,
        timeout_seconds=settings.clerk_timeout_seconds,
    )
