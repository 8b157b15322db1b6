"""PostgreSQL LISTEN/NOTIFY fanned out to the coroutines that wait for it.

One dedicated connection per process listens (a pooled connection would lose
its listeners when released); it reconnects by itself when the database comes
back. Waiters are wake-ups only: they re-read the state they care about, so a
missed notification costs at most a poll interval, never correctness.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Coroutine, Iterator
from typing import Any

import asyncpg

from service.database import DATABASE_ERRORS, connection_options
from service.settings import Settings

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 2.0

# The channels the SQL in sql/ notifies (pg_notify); the payload is a job id.
JOB_PROGRESS_CHANNEL = "job_progress"
"""A job changed (a step, a cancel, its end): event streams re-read it."""
NEW_JOB_CHANNEL = "scraping_jobs"
"""A job was created: idle workers look for work at once."""


class Listener:
    def __init__(self, dsn: str, settings: Settings, channels: list[str]) -> None:
        self._dsn = dsn
        self._settings = settings
        self._channels = channels
        self._waiters: dict[str, set[tuple[str | None, asyncio.Event]]] = defaultdict(set)
        self.connected = asyncio.Event()

    @contextlib.contextmanager
    def subscribe(self, channel: str, key: str | None = None) -> Iterator[asyncio.Event]:
        """An event set by every notification on `channel` (whose payload is `key`, if given)."""
        waiter = (key, asyncio.Event())
        self._waiters[channel].add(waiter)
        try:
            yield waiter[1]
        finally:
            self._waiters[channel].discard(waiter)

    def _dispatch(self, _: object, __: int, channel: str, payload: str) -> None:
        for key, event in self._waiters.get(channel, ()):
            if key is None or key == payload:
                event.set()

    def _wake_everyone(self) -> None:
        # After a reconnect, notifications may have been missed: let every waiter look.
        for waiters in self._waiters.values():
            for _, event in waiters:
                event.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set, reconnecting after connection losses."""
        while not stop.is_set():
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(self._dsn, **connection_options(self._settings))
            except DATABASE_ERRORS as exc:
                log.warning("notification listener cannot connect (%s); retrying", exc)
                await _sleep_unless(stop, RECONNECT_SECONDS)
                continue
            try:
                conn.add_termination_listener(lambda _, lost=lost: lost.set())
                for channel in self._channels:
                    await conn.add_listener(channel, self._dispatch)
                self.connected.set()
                self._wake_everyone()
                await _first(stop.wait(), lost.wait())
            except DATABASE_ERRORS as exc:
                log.warning("notification listener lost its connection (%s)", exc)
            finally:
                self.connected.clear()
                with contextlib.suppress(*DATABASE_ERRORS):
                    await conn.close(timeout=2)
            if not stop.is_set():
                await _sleep_unless(stop, RECONNECT_SECONDS)


async def _first(*waits: Coroutine[Any, Any, Any]) -> None:
    """Wait until the first of `waits` finishes, and cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
