"""The long responses: a job's creators as a CSV download, and a job's progress as server-sent events."""

import asyncio
from collections.abc import AsyncIterator
from typing import TypedDict
from uuid import UUID

import msgspec
from litestar.datastructures import State
from litestar.response import ServerSentEventMessage

from service.csv_export import csv_chunk, csv_header
from service.database import DATABASE_ERRORS, queries
from service.enumerations import FINISHED_JOB_STATUSES
from service.notifications import JOB_PROGRESS_CHANNEL

EXPORT_BATCH_ROWS = 500
# How long an event stream waits for a notification before it looks anyway
# (and sends a keep-alive comment when nothing changed).
EVENTS_POLL_SECONDS = 10.0


class CreatorFilters(TypedDict):
    """The optional filters of a job's creators (None: no filter)."""

    min_followers: int | None
    max_followers: int | None
    has_email: bool | None
    hashtag: str | None


class _StatusOnly(msgspec.Struct):
    status: str


NO_FILTERS = CreatorFilters(min_followers=None, max_followers=None, has_email=None, hashtag=None)


async def creator_csv(state: State, job_id: UUID, filters: CreatorFilters, sort: str) -> AsyncIterator[bytes]:
    """A job's export: the header, then its creators' rows."""
    yield csv_header()
    async for chunk in creator_csv_rows(state, job_id, filters, sort):
        yield chunk


async def campaign_creator_csv(state: State, job_ids: list[UUID]) -> AsyncIterator[bytes]:
    """A campaign's export: one header, then each job's creators in turn (as its job export has them)."""
    yield csv_header()
    for job_id in job_ids:
        async for chunk in creator_csv_rows(state, job_id, NO_FILTERS, "followers"):
            yield chunk


async def creator_csv_rows(state: State, job_id: UUID, filters: CreatorFilters, sort: str) -> AsyncIterator[bytes]:
    """A job's creators as CSV rows, streamed: rows flow from a server-side cursor in batches,
    so memory stays flat."""
    async with (
        state.pool.acquire(timeout=state.acquire_timeout) as conn,
        queries.export_job_creators_cursor(conn, job_id=job_id, sort_by=sort, **filters) as rows,
    ):
        cursor = await rows
        while batch := await cursor.fetch(EXPORT_BATCH_ROWS):
            yield csv_chunk(batch)


async def progress_events(state: State, user_id: str, job_id: UUID) -> AsyncIterator[ServerSentEventMessage]:
    """The job as it changes (event `progress`), until it has finished.

    It reads the job only once subscribed to its notifications, so no change can
    fall between reading and waiting (the route's own read only answers 404 first).
    """
    sent = None
    with state.listener.subscribe(JOB_PROGRESS_CHANNEL, str(job_id)) as changed:
        while True:
            changed.clear()  # before reading, so that no change can slip between read and wait
            try:
                async with state.pool.acquire(timeout=state.acquire_timeout) as conn:
                    current = await queries.get_job_progress(conn, user_id=user_id, job_id=job_id)
            except DATABASE_ERRORS:
                return  # the database went away: end the stream; EventSource clients reconnect
            if current is None:
                return  # deleted meanwhile
            if current != sent:
                yield ServerSentEventMessage(data=current, event="progress")
                sent = current
            if msgspec.json.decode(current, type=_StatusOnly).status in FINISHED_JOB_STATUSES:
                return
            try:
                await asyncio.wait_for(changed.wait(), EVENTS_POLL_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
