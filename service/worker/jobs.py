"""Advancing scraping jobs: one fairly claimed step (one provider call, one transaction) at a time.

A worker slot claims a step, makes the provider call, stores the page and
claims again. Which step comes next is decided in SQL (sql/job_queue.sql,
claim_next_step): the user who has waited longest for a step, then that user's
job that has waited longest, within the per-user and per-provider caps of the
system configuration. So many searches of one user never hold every slot.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec

from service.backoff import retry_delay
from service.database import queries
from service.enumerations import Platform, StopReason
from service.logs import log_context
from service.providers.base import Creator, Page, Provider, ProviderError, SearchSpec
from service.system_config import SystemConfig
from service.worker.enrichment import complete_page

log = logging.getLogger(__name__)

UNEXPECTED_FAILURE = "The search provider failed unexpectedly; please try again later"
RATE_LIMITED = 429  # the provider's "too many requests": wait as its Retry-After says


class Progress(msgspec.Struct):
    """Where a job stands after its last committed step."""

    cursor: int
    provider_cursor: str | None
    processed_runs: int
    processed_results: int


class ClaimedStep(msgspec.Struct):
    """A job as claim_next_step returns it: what the step needs to run."""

    id: uuid.UUID
    platform: Platform
    keywords: list[str] | None
    target_username: str | None
    region: str
    target_results: int
    cursor: int
    provider_cursor: str | None
    processed_runs: int
    processed_results: int
    attempts: int
    search_params: dict[str, Any] | None

    @property
    def spec(self) -> SearchSpec:
        return SearchSpec(
            platform=self.platform,
            keywords=self.keywords,
            target_username=self.target_username,
            region=self.region,
            options=self.search_params or {},
        )

    @property
    def progress(self) -> Progress:
        return Progress(self.cursor, self.provider_cursor, self.processed_runs, self.processed_results)


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


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class StepClaimer:
    """Claims steps for the slots of one worker process.

    Claims for a provider run one at a time across every process, under its
    row lock in PostgreSQL (claim_job_step), for about a millisecond each; the
    slots of a process send theirs concurrently. When the provider may not be
    called yet (its rate, or a 429 pause), one slot of the process waits and
    tries again while the others queue behind it, so they do not poll meanwhile.
    """

    def __init__(self, pool: asyncpg.Pool, config: SystemConfig, provider_name: str, stop: asyncio.Event) -> None:
        self._pool = pool
        self._config = config
        self._provider_name = provider_name
        self._stop = stop
        self._waiting = asyncio.Lock()

    @property
    def provider_name(self) -> str:
        return self._provider_name

    async def claim(self, worker_id: str, held_job_id: uuid.UUID | None, lease: timedelta) -> ClaimedStep | None:
        """The next step for `worker_id`, or None when there is none it may take now.

        `held_job_id`, the job the slot kept after its last step, is handed over
        in the same statement: claimed again, or released.
        """
        if not self._waiting.locked():
            step, wait = await self._claim_once(worker_id, held_job_id, lease)
            if step is not None or wait <= 0:
                return step
        async with self._waiting:
            while not self._stop.is_set():
                step, wait = await self._claim_once(worker_id, held_job_id, lease)
                if step is not None or wait <= 0:
                    return step
                held_job_id = None  # the claim released it
                # Looked at again at least every poll interval: an admin may lift a pause.
                poll = await self._config.duration("worker", "poll_interval")
                await wait_or_stop(self._stop, min(wait, poll.total_seconds()))
        return None

    async def _claim_once(
        self, worker_id: str, held_job_id: uuid.UUID | None, lease: timedelta
    ) -> tuple[ClaimedStep | None, float]:
        """The step claimed (or None) and the seconds until the provider may be called."""
        # Read before taking a connection: a settings cache miss takes one of its own.
        calls_per_second = await self._limit("max_calls_per_second")
        max_calls_in_flight = int(await self._limit("max_concurrent_calls"))
        max_jobs_per_user = int(await self._config.number("worker", "max_parallel_jobs_per_user"))
        async with self._pool.acquire() as conn:
            row = await queries.claim_next_step(
                conn,
                worker_id=worker_id,
                held_job_id=held_job_id,
                lease_seconds=lease.total_seconds(),
                provider=self._provider_name,
                calls_per_second=calls_per_second,
                max_calls_in_flight=max_calls_in_flight,
                max_jobs_per_user=max_jobs_per_user,
            )
        if row.id is None:
            return None, row.wait_seconds
        return msgspec.convert(msgspec.structs.asdict(row), ClaimedStep), row.wait_seconds

    async def _limit(self, name: str) -> float:
        return float(await self._config.number("provider_limits", f"{self._provider_name}_{name}"))


class JobProcessor:
    """One worker slot: claims a step, runs it, and claims the next.

    After a step the slot keeps the job's lease until its next claim hands the
    job over, to itself again or to whichever slot the fair order picks, so a
    job between two steps is never unleased. The lease is renewed by every
    committed step and, during a slow provider call, by a heartbeat, so no
    other worker takes a job that is being worked on. When `stop` is set, the
    slot gives its job back between steps, so another worker goes on from the
    last committed step at once.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        config: SystemConfig,
        provider: Provider,
        claimer: StepClaimer,
        worker_id: str,
        stop: asyncio.Event,
    ) -> None:
        self._pool = pool
        self._config = config
        self._provider = provider
        self._claimer = claimer
        self._worker_id = worker_id
        self._stop = stop
        self._held: uuid.UUID | None = None

    async def step(self) -> bool:
        """Claim one step and run it; False when none could be taken."""
        if self._stop.is_set():
            await self.give_back()
            return False
        lease = await self._config.duration("worker", "lease_duration")
        held, self._held = self._held, None
        job = await self._claimer.claim(self._worker_id, held, lease)
        if job is None:
            return False
        with log_context(job_id=str(job.id)):
            self._held = await self._run(job, lease)
        return True

    async def give_back(self) -> None:
        """Release the job kept since the last step (the slot is stopping)."""
        held, self._held = self._held, None
        if held is not None:
            async with self._pool.acquire() as conn:
                await queries.release_job(conn, job_id=held, worker_id=self._worker_id)
            log.info("job %s released: the worker is stopping", held)

    async def _run(self, job: ClaimedStep, lease: timedelta) -> uuid.UUID | None:
        """One step of `job`; the job's id when this slot still holds it afterwards."""
        # Read on every step, so that an admin's change applies at once.
        budget = int(await self._config.number("api_limits", f"max_api_calls_{job.platform.lower()}"))
        if job.processed_runs >= budget:  # spent by failed calls
            async with self._pool.acquire() as conn:
                await queries.complete_job_early(
                    conn, job_id=job.id, worker_id=self._worker_id, stop_reason="budget_exhausted"
                )
            return None
        spec = job.spec
        try:
            async with self._lease_renewed(job.id, lease):
                page = await self._provider.search(spec, job.provider_cursor)
                page = await complete_page(
                    self._pool,
                    self._provider,
                    job.id,
                    spec.platform,
                    page,
                    wanted=job.target_results - job.processed_results,
                    calls_left=budget - job.processed_runs - page.calls,
                )
        except ProviderError as exc:
            await self._after_failure(job, exc)
            return None
        except Exception:
            # A provider bug or an answer it did not expect: a failed attempt like any other.
            log.exception("job %s: the provider raised an unexpected error", job.id)
            await self._after_failure(job, ProviderError(UNEXPECTED_FAILURE, retryable=True))
            return None
        creators, stop_reason = plan_step(job.progress, page, job.target_results, budget)
        async with self._pool.acquire() as conn:
            row = await queries.record_job_page(
                conn,
                job_id=job.id,
                worker_id=self._worker_id,
                page=job.cursor,
                creators=creators,
                calls=page.calls,
                next_provider_cursor=page.next_cursor,
                stop_reason=stop_reason,
                lease_seconds=lease.total_seconds(),
            )
        if page.skipped:
            log.warning("job %s page %d: %d item(s) of an unexpected shape skipped", job.id, job.cursor, page.skipped)
        if row is None:
            log.info("job %s is no longer this worker's (cancelled, timed out or taken over)", job.id)
            return None
        if row.status != "processing":
            log.info("job %s completed: %s", job.id, stop_reason)
            return None
        return job.id

    @asynccontextmanager
    async def _lease_renewed(self, job_id: uuid.UUID, lease: timedelta) -> AsyncIterator[None]:
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

    async def _after_failure(self, job: ClaimedStep, exc: ProviderError) -> None:
        # Settings are read before taking a connection: a cache miss takes one of its own.
        if exc.status == RATE_LIMITED:
            # Not a failure: the provider asked us to wait. Every worker waits as
            # long before its next call to it, and this job retries after that.
            wait = exc.retry_after
            if wait is None:
                wait = (await self._config.duration("worker", "retry_base_delay")).total_seconds()
            log.warning("job %s: the provider asked to wait %.1f s", job.id, wait)
            async with self._pool.acquire() as conn:
                await queries.pause_provider(conn, provider=self._claimer.provider_name, seconds=wait)
                await queries.retry_job_later(
                    conn, job_id=job.id, worker_id=self._worker_id, delay_seconds=wait, failed_attempt=False
                )
            return
        attempt = job.attempts + 1
        if exc.retryable and attempt < int(await self._config.number("worker", "max_step_attempts")):
            delay = retry_delay(
                attempt,
                await self._config.duration("worker", "retry_base_delay"),
                await self._config.duration("worker", "retry_max_delay"),
            )
            delay = max(delay, timedelta(seconds=exc.retry_after or 0))  # the provider's Retry-After
            log.warning("job %s: provider failed (attempt %d), retrying in %s: %s", job.id, attempt, delay, exc)
            async with self._pool.acquire() as conn:
                await queries.retry_job_later(
                    conn,
                    job_id=job.id,
                    worker_id=self._worker_id,
                    delay_seconds=delay.total_seconds(),
                    failed_attempt=True,
                )
        else:
            log.error("job %s failed after %d attempt(s): %s", job.id, attempt, exc)
            async with self._pool.acquire() as conn:
                await queries.fail_job(conn, job_id=job.id, worker_id=self._worker_id, error=str(exc))
