"""The long responses: CSV exports and a job's progress as server-sent events.

Neither holds anything shared while it waits on the client. An export reads
in keyset batches, each a short statement on a connection borrowed and given
back at once, so a client that reads slowly (or not at all) holds a socket,
never a pooled connection or a transaction. Its input is checked and its
first batch read before the status line goes out, so a bad request is a 400,
a missing job a 404 and a database outage a 503, never a 200 that breaks off.
If the database fails later, the export is logged as a warning and the
response aborted (no final chunk), so the client can tell it was cut short.
"""

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict
from uuid import UUID

import asyncpg
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import ServerSentEvent, ServerSentEventMessage, Stream

from service.csv_export import COLUMNS, csv_chunk, csv_header
from service.database import DATABASE_ERRORS, connection, queries
from service.job_feed import JobFeed
from service.stream_limits import PerUserSlots, Slot

log = logging.getLogger(__name__)

EXPORT_BATCH_ROWS = 500
# Exports read with at most this share of the pool at once; the rest stays free for everyone else.
EXPORT_SHARE_OF_POOL = 3


def export_reads(pool_max_size: int) -> asyncio.Semaphore:
    """The gate export batches pass, one pooled connection each: a third of the pool."""
    return asyncio.Semaphore(max(1, pool_max_size // EXPORT_SHARE_OF_POOL))


# An event stream with nothing to send for this long sends a keep-alive comment line.
KEEP_ALIVE_SECONDS = 10.0


class CreatorFilters(TypedDict):
    """The optional filters of a job's creators (None: no filter)."""

    min_followers: int | None
    max_followers: int | None
    has_email: bool | None
    hashtag: str | None


class StreamCutError(Exception):
    """A long response failed after its status line went out; the connection is aborted."""


@dataclass(frozen=True)
class Batch:
    rows: Sequence[object]
    """Objects with an attribute per CSV column."""
    after: Any
    """The key to read the next batch after; None when this batch was the last."""


ReadBatch = Callable[[asyncpg.Connection, Any], Awaitable[Batch]]
"""Reads the batch after a key (None: the first batch) on the connection it is given."""
Exists = Callable[[asyncpg.Connection], Awaitable[bool]]


NO_FILTERS = CreatorFilters(min_followers=None, max_followers=None, has_email=None, hashtag=None)


def job_creators_reader(job_id: UUID, filters: CreatorFilters, sort: str, batch_rows: int) -> ReadBatch:
    """Batches of a job's filtered creators, highest `sort` first, by keyset (sort value, creator key)."""

    async def read(conn: asyncpg.Connection, after: tuple[Any, str] | None) -> Batch:
        rows = [
            row
            async for row in queries.export_job_creators_batch(
                conn,
                job_id=job_id,
                sort_by=sort,
                after_value=after[0] if after else None,
                after_key=after[1] if after else None,
                batch_size=batch_rows,
                **filters,
            )
        ]
        last = (rows[-1].sort_value, rows[-1].creator_key) if len(rows) == batch_rows else None
        return Batch(rows, last)

    return read


@dataclass(frozen=True)
class Export:
    """What one CSV export reads, and how it is named."""

    exists: Exists
    """Whether what is exported exists and is the user's (else 404 with `missing`)."""
    read: ReadBatch
    file_name: str
    label: str
    """Names it in logs: "job <id>", "campaign <id>"."""
    missing: str
    columns: tuple[str, ...] = COLUMNS


def campaign_creators_reader(job_ids: Sequence[UUID], batch_rows: int) -> ReadBatch:
    """Batches of each job's creators in turn (as its own export has them), by keyset (job's place, its key)."""

    async def read(conn: asyncpg.Connection, after: tuple[int, Any] | None) -> Batch:
        place, within = after if after else (0, None)
        if place >= len(job_ids):
            return Batch([], None)
        batch = await job_creators_reader(job_ids[place], NO_FILTERS, "followers", batch_rows)(conn, within)
        if batch.after is not None:
            return Batch(batch.rows, (place, batch.after))
        return Batch(batch.rows, (place + 1, None) if place + 1 < len(job_ids) else None)

    return read


async def csv_export(state: State, user_id: str, export: Export) -> Stream:
    """The response of one CSV export, after the per-user cap, the existence check and the first batch."""
    slots: PerUserSlots = state.export_slots
    reads: asyncio.Semaphore = state.export_reads
    slot = slots.take(user_id)
    try:
        # Waiting longer than a request would for a connection is a 503, like any request's.
        await asyncio.wait_for(reads.acquire(), state.acquire_timeout)
        try:
            async with connection(state) as db:
                if not await export.exists(db):
                    raise NotFoundException(export.missing)
                first = await export.read(db, None)
        finally:
            reads.release()
    except BaseException:
        slot.release()
        raise
    body = csv_body(state, export.read, export.label, first, slot, export.columns)
    slot.release_with(body)
    return Stream(
        body,
        media_type="text/csv",  # Litestar adds the one charset (utf-8) to text types
        headers={"Content-Disposition": f'attachment; filename="{export.file_name}"'},
    )


async def csv_body(
    state: State,
    read: ReadBatch,
    label: str,
    first: Batch | None = None,
    slot: Slot | None = None,
    columns: tuple[str, ...] = COLUMNS,
) -> AsyncGenerator[bytes, None]:
    """The header and the first batch (read here unless given), then each further batch, each
    read on a connection of its own that goes back to the pool before the chunk is sent."""
    sent, header = 0, True
    try:
        after = None
        while True:
            if first is not None:
                batch, first = first, None
            else:
                try:
                    # Once the response has started, the next batch waits its turn however long
                    # other exports take (holding nothing meanwhile); only a failure cuts it.
                    async with state.export_reads, connection(state) as db:
                        batch = await read(db, after)
                except DATABASE_ERRORS as exc:
                    log.warning("CSV export of %s cut short after %d rows: %r", label, sent, exc)
                    raise StreamCutError(f"export of {label} cut short") from exc
            if header or batch.rows:
                yield (csv_header(columns) if header else b"") + csv_chunk(batch.rows, columns)
                header = False
            sent, after = sent + len(batch.rows), batch.after
            if after is None:
                return
    finally:
        if slot is not None:
            slot.release()


async def job_creators_csv(state: State, user_id: str, job_id: UUID, filters: CreatorFilters, sort: str) -> Stream:
    """`GET /api/jobs/{id}/creators?format=csv`."""

    async def exists(db: asyncpg.Connection) -> bool:
        return await queries.get_job_progress(db, user_id=user_id, job_id=job_id) is not None

    export = Export(
        exists=exists,
        read=job_creators_reader(job_id, filters, sort, EXPORT_BATCH_ROWS),
        file_name=f"job-{job_id}-creators.csv",
        label=f"job {job_id}",
        missing="Job not found",
    )
    return await csv_export(state, user_id, export)


async def campaign_creators_csv(state: State, user_id: str, campaign_id: UUID) -> Stream:
    """`GET /api/export/csv?campaignId=`: every job's creators, oldest job first."""
    job_ids: list[UUID] = []

    async def exists(db: asyncpg.Connection) -> bool:
        found = await queries.list_campaign_job_ids(db, user_id=user_id, campaign_id=campaign_id)
        if found is not None:
            job_ids.extend(found.job_ids)
        return found is not None

    export = Export(
        exists=exists,
        read=campaign_creators_reader(job_ids, EXPORT_BATCH_ROWS),  # filled by `exists` before the first read
        file_name=f"campaign-{campaign_id}-creators.csv",
        label=f"campaign {campaign_id}",
        missing="Campaign not found",
    )
    return await csv_export(state, user_id, export)


async def job_events(state: State, user_id: str, job_id: UUID) -> ServerSentEvent:
    """`GET /api/jobs/{id}/events`, after the per-user cap and the existence check."""
    slots: PerUserSlots = state.event_stream_slots
    slot = slots.take(user_id)
    try:
        async with connection(state) as db:
            if await queries.get_job_progress(db, user_id=user_id, job_id=job_id) is None:
                raise NotFoundException("Job not found")
    except BaseException:
        slot.release()
        raise
    body = progress_events(state.job_feed, user_id, job_id, slot)
    slot.release_with(body)
    return ServerSentEvent(body)


async def progress_events(
    feed: JobFeed, user_id: str, job_id: UUID, slot: Slot | None = None
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """The job as it changes (event `progress`), until it has finished; a comment line while quiet."""
    seen = 0
    # The first keep-alive comes at a random point of the period, so that streams opened
    # together (a page of tabs, a reconnect storm) do not all send theirs at the same moment.
    quiet_for = KEEP_ALIVE_SECONDS * random.random()  # noqa: S311 (spreading load, not security)
    try:
        async with feed.follow(user_id, job_id) as (watch, wake):
            while True:
                wake.clear()  # before looking, so that no change can slip between look and wait
                if watch.version > seen:
                    seen = watch.version
                    yield ServerSentEventMessage(data=watch.latest, event="progress")
                if watch.over:
                    return
                try:
                    await asyncio.wait_for(wake.wait(), quiet_for)
                except TimeoutError:
                    # A comment line only: EventSource ignores it (a data line would fire a message).
                    yield ServerSentEventMessage(comment="keep-alive", data=None)
                quiet_for = KEEP_ALIVE_SECONDS
    finally:
        if slot is not None:
            slot.release()
