"""The worker loop: run every task's step until none has work, then wait a poll interval."""

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

import asyncpg

from service.email import sender_for
from service.settings import Settings
from service.system_config import SystemConfig
from service.worker.email_delivery import WelcomeEmailDelivery

log = logging.getLogger(__name__)


class Task(Protocol):
    async def step(self) -> bool:
        """Do one unit of work; False when there was none."""
        ...


class Worker:
    """Runs its tasks until `stop` is set; a step in progress always finishes."""

    def __init__(self, tasks: list[Task], config: SystemConfig) -> None:
        self._tasks = tasks
        self._config = config

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started with %d task(s)", len(self._tasks))
        while not stop.is_set():
            busy = False
            for task in self._tasks:
                try:
                    busy = await task.step() or busy
                except Exception:
                    # One failing step must not stop the worker; the unit of work stays
                    # claimed until its lease runs out and is then picked up again.
                    log.exception("worker step of %s failed", type(task).__name__)
            if not busy:
                poll = await self._config.duration("worker", "poll_interval")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll.total_seconds())
        log.info("worker stopped")


def build_worker(pool: asyncpg.Pool, config: SystemConfig, settings: Settings) -> Worker:
    return Worker([WelcomeEmailDelivery(pool, config, sender_for(settings), settings)], config)


async def run_worker_process(settings: Settings, dsn: str) -> None:
    """`python main.py worker`: the worker with its own pool, stopped by SIGINT or SIGTERM."""
    from service.database import configure_query_timing, create_pool

    configure_query_timing(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await create_pool(dsn, settings)
    try:
        config = SystemConfig(pool)
        await build_worker(pool, config, settings).run(stop)
    finally:
        await pool.close()
