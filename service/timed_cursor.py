"""A server-side cursor whose database time is added up, for the timed query layer.

A streamed export's statement runs in pieces: prepare, open the cursor, then
one fetch per batch while the client reads. Its time is the sum of those
pieces, not the time the client took to download, so a slow client does not
make a fast statement look slow.
"""

from collections.abc import Awaitable, Generator
from time import perf_counter
from typing import Any, TypeVar

import asyncpg
from asyncpg.cursor import Cursor, CursorFactory

T = TypeVar("T")


class DatabaseTime:
    """Seconds spent waiting for the database, over several calls."""

    def __init__(self) -> None:
        self.seconds = 0.0

    async def of(self, call: Awaitable[T]) -> T:
        started = perf_counter()
        try:
            return await call
        finally:
            self.seconds += perf_counter() - started


class TimedCursor:
    """The opened cursor: `fetch` as asyncpg's, timed."""

    def __init__(self, cursor: "Cursor[Any]", spent: DatabaseTime) -> None:
        self._cursor = cursor
        self._spent = spent

    async def fetch(self, n: int) -> list[asyncpg.Record]:
        return await self._spent.of(self._cursor.fetch(n))


class TimedCursorFactory:
    """What aiosql's `*_cursor` context yields: awaiting it opens the cursor (timed)."""

    def __init__(self, factory: "CursorFactory[Any]", spent: DatabaseTime) -> None:
        self._factory = factory
        self._spent = spent

    async def _open(self) -> TimedCursor:
        return TimedCursor(await self._spent.of(self._factory), self._spent)

    def __await__(self) -> Generator[Any, None, TimedCursor]:
        return self._open().__await__()
