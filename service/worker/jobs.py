"""Advancing scraping jobs: one provider call and one transaction per step."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

import asyncpg
import msgspec

from service.backoff import retry_delay
from service.database import queries
from service.enumerations import Platform, StopReason
from service.logs import log_context
from service.providers.base import Creator, Page, Provider, ProviderError, SearchSpec
from service.query_types import ClaimNextJobRow, RecordJobPageRow
from service.system_config import SystemConfig
from service.worker.enrichment import complete_page

log = logging.getLogger(__name__)


class Progress(msgspec.Struct):
    """Where a job stands after its last committed step."""

    cursor: int
    provider_cursor: str | None
    processed_runs: int
    processed_results: int


def progress_of(row: ClaimNextJobRow | RecordJobPageRow) -> Progress:
    return Progress(
        cursor=row.cursor,
        provider_cursor=row.provider_cursor,
        processed_runs=row.processed_runs,
        processed_results=row.processed_results,
    )


def plan_step(progress: Progress, page: Page, target: int, budget: int) -> tuple[list[Creator], StopReason | None]:
    """The creators to store from `page` (never past the target) and whether this step ends the job.

    The budget counts provider calls: the page's search call and the profile calls that completed it.
    """
    creators = page.creators[: max(target - progress.processed_results, 0)]
    if progress.processed_results + len(creators) >= target:
        return creators, "target_reached"
    if not page.has_more or page.next_cursor is None:
        return creators, "no_more_results"
    if progress.processed_runs + page.calls >= budget:
        return creators, "budget_exhausted"
    return creators, None


class JobProcessor:
    """One worker slot: claims a job and advances it step by step until it ends.

    The lease is renewed by every committed step and, during a slow provider
    call, by a heartbeat, so no other worker takes a job that is being worked on.
    Between steps it checks `stop`; when set, it gives the job back and returns,
    so another worker goes on from the last committed step at once.
    """

    def __init__(
        self, pool: asyncpg.Pool, config: SystemConfig, provider: Provider, worker_id: str, stop: asyncio.Event
    ) -> None:
        self._pool = pool
        self._config = config
        self._provider = provider
        self._worker_id = worker_id
        self._stop = stop

    async def step(self) -> bool:
        """Claim one job and work on it; False when no job was waiting."""
        lease = await self._config.duration("worker", "lease_duration")
        async with self._pool.acquire() as conn:
            job = await queries.claim_next_job(conn, worker_id=self._worker_id, lease_seconds=lease.total_seconds())
        if job is None:
            return False
        with log_context(job_id=str(job.id)):
            # Read on every claim, so that an admin's change applies to the next job.
            budget = int(await self._config.number("api_limits", f"max_api_calls_{job.platform.lower()}"))
            await self._advance(job, budget, lease)
        return True

    async def _advance(self, job: ClaimNextJobRow, budget: int, lease: timedelta) -> None:
        job_id = job.id
        spec = SearchSpec(
            platform=cast(Platform, job.platform),  # the column's CHECK allows only these
            keywords=job.keywords,
            target_username=job.target_username,
            region=job.region,
            options=job.search_params or {},
        )
        progress = progress_of(job)
        attempts = job.attempts  # failed calls for the current page
        while True:
            if self._stop.is_set():
                async with self._pool.acquire() as conn:
                    await queries.release_job(conn, job_id=job_id, worker_id=self._worker_id)
                log.info("job %s released: the worker is stopping", job_id)
                return
            if progress.processed_runs >= budget:
                async with self._pool.acquire() as conn:
                    await queries.complete_job_early(
                        conn, job_id=job_id, worker_id=self._worker_id, stop_reason="budget_exhausted"
                    )
                return
            try:
                async with self._lease_renewed(job_id, lease):
                    page = await self._provider.search(spec, progress.provider_cursor)
                    page = await complete_page(
                        self._pool,
                        self._provider,
                        job_id,
                        spec.platform,
                        page,
                        wanted=job.target_results - progress.processed_results,
                        calls_left=budget - progress.processed_runs - page.calls,
                    )
            except ProviderError as exc:
                await self._after_failure(job_id, attempts + 1, exc)
                return
            creators, stop_reason = plan_step(progress, page, job.target_results, budget)
            async with self._pool.acquire() as conn:
                row = await queries.record_job_page(
                    conn,
                    job_id=job_id,
                    worker_id=self._worker_id,
                    page=progress.cursor,
                    creators=creators,
                    calls=page.calls,
                    next_provider_cursor=page.next_cursor,
                    stop_reason=stop_reason,
                    lease_seconds=lease.total_seconds(),
                )
            if page.skipped:
                log.warning(
                    "job %s page %d: %d item(s) of an unexpected shape skipped", job_id, progress.cursor, page.skipped
                )
            if row is None:
                log.info("job %s is no longer this worker's (cancelled, timed out or taken over)", job_id)
                return
            if row.status != "processing":
                log.info("job %s completed: %s", job_id, stop_reason)
                return
            progress = progress_of(row)
            attempts = 0

    @asynccontextmanager
    async def _lease_renewed(self, job_id: Any, lease: timedelta) -> AsyncIterator[None]:
        """Renew the lease every third of its length while the block runs (a slow provider call)."""

        async def heartbeat() -> None:
            while True:
                await asyncio.sleep(lease.total_seconds() / 3)
                async with self._pool.acquire() as conn:
                    held = await queries.renew_job_lease(
                        conn, job_id=job_id, worker_id=self._worker_id, lease_seconds=lease.total_seconds()
                    )
                if not held:
                    return  # cancelled or taken over: the step's own update will find out

        beating = asyncio.create_task(heartbeat())
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def _after_failure(self, job_id: Any, attempt: int, exc: ProviderError) -> None:
        max_attempts = int(await self._config.number("worker", "max_step_attempts"))
        async with self._pool.acquire() as conn:
            if exc.retryable and attempt < max_attempts:
                delay = retry_delay(
                    attempt,
                    await self._config.duration("worker", "retry_base_delay"),
                    await self._config.duration("worker", "retry_max_delay"),
                )
                delay = max(delay, timedelta(seconds=exc.retry_after or 0))  # the provider's Retry-After
                log.warning("job %s: provider failed (attempt %d), retrying in %s: %s", job_id, attempt, delay, exc)
                await queries.retry_job_later(
                    conn, job_id=job_id, worker_id=self._worker_id, delay_seconds=delay.total_seconds()
                )
            else:
                log.error("job %s failed after %d attempt(s): %s", job_id, attempt, exc)
                await queries.fail_job(conn, job_id=job_id, worker_id=self._worker_id, error=str(exc))
