"""Completing a page's creators from the provider's profiles, once per creator per job, within the budget.

A search answer may lack what the product shows (followers, bio); the page then
names, per creator, the profile that completes it. Profiles a job fetched are
kept in scraping_job_profiles, so a creator seen again (a later page, another
worker after a retry) costs no call. Calls are limited to what is left of the
job's budget; creators beyond it keep what the search answer said.
"""

import asyncio
import contextlib
import logging
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from service.database import queries
from service.enumerations import Platform
from service.providers.base import Creator, Page, Profile, ProfileRef, Provider, ProviderError
from service.providers.scrapecreators_mapping import complete
from service.query_types import Connection

log = logging.getLogger(__name__)

PROFILE_CALLS_AT_ONCE = 4
NOT_FOUND = 404


async def complete_page(
    pool: asyncpg.Pool,
    provider: Provider,
    job_id: UUID,
    platform: Platform,
    page: Page,
    *,
    wanted: int,
    calls_left: int,
) -> Page:
    """The page's first `wanted` creators, completed; `calls` grows by the profile calls made.

    A profile the provider does not know (404) is remembered as empty; one that
    failed in a way worth retrying is left out (the creator stays as found);
    any other refusal (401, 402) fails the step like a failed search call.
    """
    creators = page.creators[: max(wanted, 0)]
    lookups = page.lookups[: len(creators)]
    refs = list({ref.key: ref for ref in lookups if ref is not None}.values())
    if not refs:
        return msgspec.structs.replace(page, creators=creators, lookups=())
    async with pool.acquire() as conn:
        known: dict[str, Profile] = {
            row.creator_key: msgspec.convert(row.profile, Profile)
            async for row in queries.list_job_profiles(conn, job_id=job_id, creator_keys=[r.key for r in refs])
        }
    wanted_refs = [ref for ref in refs if ref.key not in known]
    to_fetch = wanted_refs[: max(calls_left, 0)]
    fetched = await _fetch(provider, platform, to_fetch)
    if fetched:
        async with pool.acquire() as conn:
            await _remember(conn, job_id, fetched)
    known.update(fetched)
    if len(wanted_refs) > len(to_fetch):
        log.info("job %s: budget left for %d of %d creator profiles", job_id, len(to_fetch), len(wanted_refs))
    completed: list[Creator] = [
        complete(found, known[ref.key]) if ref is not None and ref.key in known else found
        for found, ref in zip(creators, lookups, strict=False)
    ]
    return msgspec.structs.replace(page, creators=completed, lookups=(), calls=page.calls + len(to_fetch))


async def _remember(conn: Connection, job_id: UUID, fetched: dict[str, Profile]) -> None:
    profiles = [{"key": key, "profile": msgspec.to_builtins(profile)} for key, profile in fetched.items()]
    # A job deleted meanwhile: its step's own update finds it gone and stores nothing either.
    with contextlib.suppress(asyncpg.ForeignKeyViolationError):
        await queries.save_job_profiles(conn, job_id=job_id, profiles=profiles)


async def _fetch(provider: Provider, platform: Platform, refs: list[ProfileRef]) -> dict[str, Profile]:
    limit = asyncio.Semaphore(PROFILE_CALLS_AT_ONCE)

    async def one(ref: ProfileRef) -> tuple[str, Profile | None]:
        async with limit:
            try:
                return ref.key, await provider.profile(platform, ref)
            except ProviderError as exc:
                if exc.status == NOT_FOUND:
                    return ref.key, Profile()
                if exc.retryable:
                    log.warning("profile of %s not fetched: %s", ref.key, exc)
                    return ref.key, None
                raise

    results: list[Any] = await asyncio.gather(*(one(ref) for ref in refs), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return {key: profile for key, profile in results if profile is not None}
