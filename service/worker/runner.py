"""The worker: job slots, email delivery and the timeout sweep, each a loop of steps.

A loop runs its task's step while there is work, and otherwise waits for a
notification (new job) or the poll interval, whichever comes first. A step in
progress always finishes; `stop` ends the loops between steps.
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from collections.abc import Iterator
from typing import Protocol

import asyncpg

from service.database import queries
from service.email import sender_for
from service.identity import directory_for
from service.logs import log_context
from service.notifications import NEW_JOB_CHANNEL, Listener
from service.providers.base import Provider
from service.providers.factory import provider_for
from service.settings import Settings
from service.system_config import SystemConfig
from service.worker.email_delivery import WelcomeEmailDelivery
from service.worker.jobs import JobProcessor, StepClaimer

log = logging.getLogger(__name__)


class Task(Protocol):
    async def step(self) -> bool:
        """Do one unit of work; False when there was none."""
        ...


class TimeoutSweep:
    """Ends jobs past their timeout_at, whether or not a worker holds them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def step(self) -> bool:
        async with self._pool.acquire() as conn:
            swept = await queries.sweep_timed_out_jobs(conn)
        if swept:
            log.warning("%d job(s) timed out", swept)
        return False  # once per poll interval is enough


async def run_loop(task: Task, stop: asyncio.Event, config: SystemConfig, wake: asyncio.Event | None = None) -> None:
    while not stop.is_set():
        try:
            busy = await task.step()
        except Exception:
            # A failing step must not stop the worker: what it held stays claimed
            # until its lease runs out and is then taken up again.
            log.exception("worker step of %s failed", type(task).__name__)
            busy = False
        if busy or stop.is_set():
            continue
        poll = await config.duration("worker", "poll_interval")
        waits = [stop.wait()] + ([wake.wait()] if wake is not None else [])
        tasks = [asyncio.ensure_future(w) for w in waits]
        await asyncio.wait(tasks, timeout=poll.total_seconds(), return_when=asyncio.FIRST_COMPLETED)
        for pending in tasks:
            pending.cancel()
        if wake is not None:
            wake.clear()


class Worker:
    """All background work of one process."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        config: SystemConfig,
        settings: Settings,
        *,
        listener: Listener | None = None,
        concurrency: int | None = None,
        provider: Provider | None = None,
    ) -> None:
        self._pool = pool
        self._config = config
        self._settings = settings
        self._listener = listener
        self._concurrency = concurrency or settings.worker_concurrency
        self._provider = provider
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    @contextlib.contextmanager
    def _new_job_wakeups(self) -> Iterator[asyncio.Event | None]:
        if self._listener is None:
            yield None
        else:
            with self._listener.subscribe(NEW_JOB_CHANNEL) as wake:
                yield wake

    async def _job_slot(self, slot: int, provider: Provider, claimer: StepClaimer, stop: asyncio.Event) -> None:
        slot_id = f"{self.worker_id}/{slot}"
        processor = JobProcessor(self._pool, self._config, provider, claimer, slot_id, stop)
        with self._new_job_wakeups() as wake, log_context(worker_id=slot_id):
            await run_loop(processor, stop, self._config, wake)
        await processor.give_back()

    async def run(self, stop: asyncio.Event) -> None:
        with log_context(worker_id=self.worker_id):
            await self._run(stop)

    async def _run(self, stop: asyncio.Event) -> None:
        provider = self._provider or provider_for(self._settings)
        directory = directory_for(self._settings)
        email = WelcomeEmailDelivery(self._pool, self._config, sender_for(self._settings), self._settings, directory)
        # The provider's limits (system configuration) are per provider, over every worker process.
        claimer = StepClaimer(self._pool, self._config, self._settings.provider, stop)
        log.info("worker %s started with %d job slot(s)", self.worker_id, self._concurrency)
        try:
            await asyncio.gather(
                run_loop(email, stop, self._config),
                run_loop(TimeoutSweep(self._pool), stop, self._config),
                *(self._job_slot(slot, provider, claimer, stop) for slot in range(self._concurrency)),
            )
        finally:
            if self._provider is None:
                await provider.close()
            if directory is not None:
                await directory.close()
            log.info("worker %s stopped", self.worker_id)


async def run_worker_process(
    settings: Settings, dsn: str, concurrency: int | None = None, provider: Provider | None = None
) -> None:
    """`python main.py worker`: a worker with its own pool, stopped by SIGINT or SIGTERM.

    `provider` replaces the one the settings name (the queue benchmark counts its calls).
    """
    from service.database import configure_query_timing, create_pool

    configure_query_timing(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await create_pool(dsn, settings)
    try:
        listener = Listener(settings.listen_database_url or dsn, settings, [NEW_JOB_CHANNEL])
        worker = Worker(
            pool,
            SystemConfig(pool, acquire_timeout=settings.db_acquire_timeout_seconds),
            settings,
            listener=listener,
            concurrency=concurrency,
            provider=provider,
        )
        await asyncio.gather(listener.run(stop), worker.run(stop))
    finally:
        await pool.close()
