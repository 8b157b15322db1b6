"""Job progress for event streams: one database read per job change per process, shared by every stream.

Each job followed by at least one stream in this process has one watcher. The
watcher subscribes to the job's notifications, reads the job once per change
(or per poll interval, in case a notification was missed), and wakes every
stream of that job; the streams send the text it read. A thousand streams of
one job cost one read per change, not a thousand. A database outage keeps the
streams open (the watcher retries) rather than ending them before their last event.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import msgspec

from service.database import DATABASE_ERRORS, queries
from service.enumerations import FINISHED_JOB_STATUSES
from service.notifications import JOB_PROGRESS_CHANNEL, Listener

log = logging.getLogger(__name__)

# How long a watcher waits for a notification before it reads the job anyway.
POLL_SECONDS = 10.0
# After a failed read, how long before the next try.
RETRY_SECONDS = 2.0


class _StatusOnly(msgspec.Struct):
    status: str


def is_finished(job_text: str) -> bool:
    return msgspec.json.decode(job_text, type=_StatusOnly).status in FINISHED_JOB_STATUSES


class JobWatch:
    """What the streams of one job see: the latest text read, its version, and whether the job is over."""

    def __init__(self) -> None:
        self.latest: str | None = None
        self.version = 0
        self.over = False
        self.subscribers: set[asyncio.Event] = set()
        self.task: asyncio.Task[None] | None = None

    def publish(self, text: str | None, *, over: bool) -> None:
        if text is not None and text != self.latest:
            self.latest = text
            self.version += 1
        self.over = over
        for wake in self.subscribers:
            wake.set()


class JobFeed:
    def __init__(self, pool: asyncpg.Pool, listener: Listener, acquire_timeout: float) -> None:
        self._pool = pool
        self._listener = listener
        self._acquire_timeout = acquire_timeout
        self._watches: dict[tuple[str, UUID], JobWatch] = {}
        self.reads = 0
        """Database reads made so far (for tests and the benchmark)."""

    @contextlib.asynccontextmanager
    async def follow(self, user_id: str, job_id: UUID) -> AsyncIterator[tuple[JobWatch, asyncio.Event]]:
        """The job's watch, and an event set whenever it changes (the caller clears it)."""
        key = (user_id, job_id)
        watch = self._watches.get(key)
        if watch is None:
            watch = self._watches[key] = JobWatch()
            watch.task = asyncio.create_task(self._watch(key, watch), name=f"job-feed-{job_id}")
        wake = asyncio.Event()
        wake.set()
        watch.subscribers.add(wake)
        try:
            yield watch, wake
        finally:
            watch.subscribers.discard(wake)
            if not watch.subscribers and self._watches.get(key) is watch:
                del self._watches[key]
                if watch.task is not None:
                    watch.task.cancel()

    async def _read(self, user_id: str, job_id: UUID) -> str | None:
        self.reads += 1
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            return await queries.get_job_progress(conn, user_id=user_id, job_id=job_id)

    async def _watch(self, key: tuple[str, UUID], watch: JobWatch) -> None:
        user_id, job_id = key
        try:
            with self._listener.subscribe(JOB_PROGRESS_CHANNEL, str(job_id)) as changed:
                while True:
                    changed.clear()  # before reading, so that no change can slip between read and wait
                    try:
                        current = await self._read(user_id, job_id)
                    except DATABASE_ERRORS as exc:
                        log.warning("cannot read job %s for its event streams (%s); retrying", job_id, exc)
                        await _wait(changed, RETRY_SECONDS)
                        continue
                    if current is None or is_finished(current):
                        watch.publish(current, over=True)  # deleted meanwhile, or its final state
                        return
                    watch.publish(current, over=False)
                    # Jittered, so that the watchers of jobs followed since the same moment spread their reads.
                    await _wait(changed, POLL_SECONDS * (0.75 + random.random() / 2))  # noqa: S311 (not security)
        finally:
            if self._watches.get(key) is watch:
                del self._watches[key]  # over: a later stream starts a watcher of its own


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
