"""Long responses (CSV exports, event streams): caps per user, first batch before the status line,
one database read per job change shared by every stream, comment-only keep-alives, cuts logged."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import pytest
from litestar.datastructures import State
from litestar.response import ServerSentEventMessage
from litestar.testing import AsyncTestClient

from service.api import streams
from service.api.streams import (
    EXPORT_BATCH_ROWS,
    CreatorFilters,
    StreamCutError,
    campaign_creators_reader,
    csv_body,
    export_reads,
    job_creators_csv,
    job_creators_reader,
    job_events,
    progress_events,
)
from service.app import create_app
from service.auth import TokenVerifier
from service.database import create_pool
from service.errors import TooManyOpen
from service.job_feed import JobFeed
from service.notifications import JOB_PROGRESS_CHANNEL, Listener
from service.settings import Settings
from tests.conftest import SECRET
from tests.factories import add_job, create_campaign
from tests.processes import free_port

Client = AsyncTestClient[Any]
NOWHERE = "postgresql://postgres@127.0.0.1:{port}/postgres"  # nothing listens there: the database is down
NO_FILTERS = CreatorFilters(min_followers=None, max_followers=None, has_email=None, hashtag=None)


def local_state(client: Client, pool: asyncpg.Pool) -> State:
    """The app's caps, with this loop's pool (the test client runs the app in a loop of its own)."""
    app = client.app.state
    return State(
        {
            "pool": pool,
            "acquire_timeout": 5.0,
            "export_slots": app.export_slots,
            "export_reads": app.export_reads,
            "event_stream_slots": app.event_stream_slots,
        }
    )


@pytest.fixture
async def feed(pool: asyncpg.Pool, settings: Settings, dsn: str) -> AsyncIterator[JobFeed]:
    """A job feed of this loop, with its own listener."""
    listener = Listener(dsn, settings, [JOB_PROGRESS_CHANNEL])
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop))
    await asyncio.wait_for(listener.connected.wait(), 10)
    yield JobFeed(pool, listener, 5.0)
    stop.set()
    await task


async def test_exports_over_the_per_user_cap_are_429(
    client: Client, auth: dict[str, str], other_auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    job = UUID(await add_job(pool, campaign, result_pages=2))
    state = local_state(client, pool)
    cap = state.export_slots.limit
    held = [await job_creators_csv(state, user_id, job, NO_FILTERS, "followers") for _ in range(cap)]
    for refused in (
        await client.get(f"/api/jobs/{job}/creators.csv", headers=auth),
        await client.get(f"/api/jobs/{job}/creators", params={"format": "csv"}, headers=auth),
    ):
        assert refused.status_code == 429
        assert refused.headers["retry-after"].isdigit()
        assert f"{cap} CSV exports" in refused.json()["error"]
    other_campaign = await create_campaign(client, other_auth)
    other_job = await add_job(pool, other_campaign, result_pages=1)
    other = await client.get(f"/api/jobs/{other_job}/creators", params={"format": "csv"}, headers=other_auth)
    assert other.status_code == 200, "another user is not affected"

    del held  # a response whose body never ran (the client left first) gives its slot back too
    gc.collect()
    again = await client.get(f"/api/jobs/{job}/creators", params={"format": "csv"}, headers=auth)
    assert again.status_code == 200
    assert state.export_slots.open_for(user_id) == 0, "a finished export gives its slot back"


async def test_event_streams_over_the_per_user_cap_are_429(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool, feed: JobFeed
) -> None:
    campaign = await create_campaign(client, auth)
    job = UUID(await add_job(pool, campaign, status="completed"))
    state = local_state(client, pool)
    state.job_feed = feed
    held = [await job_events(state, user_id, job) for _ in range(state.event_stream_slots.limit)]
    refused = await client.get(f"/api/jobs/{job}/events", headers=auth)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    del held
    gc.collect()
    assert (await client.get(f"/api/jobs/{job}/events", headers=auth)).status_code == 200
    assert state.event_stream_slots.open_for(user_id) == 0


async def next_event(stream: AsyncIterator[ServerSentEventMessage]) -> ServerSentEventMessage:
    """The stream's next message with data (a stream's first keep-alive may come at any point of its period)."""
    while (message := await anext(stream)).data is None:
        pass
    return message


async def test_many_streams_of_a_job_share_one_read_per_change(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool, feed: JobFeed
) -> None:
    campaign = await create_campaign(client, auth)
    job = UUID(await add_job(pool, campaign, status="processing"))
    before = feed.reads
    subscribers = [progress_events(feed, user_id, job) for _ in range(200)]
    first = [await next_event(s) for s in subscribers]
    assert {msgspec.json.decode(str(m.data))["status"] for m in first} == {"processing"}
    assert feed.reads - before == 1, "the job was read once for 200 streams"

    cancelled = await client.patch(f"/api/jobs/{job}", json={"action": "cancel"}, headers=auth)
    assert cancelled.status_code == 200
    last = await asyncio.wait_for(asyncio.gather(*(next_event(s) for s in subscribers)), 10)
    assert {msgspec.json.decode(str(m.data))["status"] for m in last} == {"cancelled"}
    assert feed.reads - before == 2, "one more read for the change, shared by every stream"
    for s in subscribers:
        with pytest.raises(StopAsyncIteration):
            await anext(s)


async def test_keep_alives_are_comment_lines_only(
    client: Client,
    auth: dict[str, str],
    user_id: str,
    pool: asyncpg.Pool,
    feed: JobFeed,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streams, "KEEP_ALIVE_SECONDS", 0.05)
    campaign = await create_campaign(client, auth)
    job = UUID(await add_job(pool, campaign, status="processing"))
    events = progress_events(feed, user_id, job)
    await anext(events)
    keep_alive = await anext(events)
    await events.aclose()
    assert keep_alive.encode() == b": keep-alive\r\n\r\n", "no data line: EventSource fires no message"


async def test_an_export_is_404_400_or_503_before_its_status_line(
    client: Client, auth: dict[str, str], other_auth: dict[str, str], pool: asyncpg.Pool, dsn: str
) -> None:
    campaign = await create_campaign(client, auth)
    job = await add_job(pool, campaign, result_pages=1)
    csv = {"format": "csv"}
    assert (await client.get(f"/api/jobs/{job}/creators", params=csv, headers=other_auth)).status_code == 404
    for bad in ({"hashtag": "\x00"}, {"minFollowers": "-1"}, {"sort": "name"}):
        response = await client.get(f"/api/jobs/{job}/creators", params={**csv, **bad}, headers=auth)
        assert response.status_code == 400, bad
        assert response.json()["details"][0]["field"] == next(iter(bad)), response.json()

    # The database unreachable: a 503 with Retry-After, never a 200 that breaks off.
    down = Settings(database_url=dsn, auth_jwt_secret=SECRET, db_pool_min_size=0, access_log=False, run_worker=False)
    verifier = TokenVerifier.from_settings(down)
    async with AsyncTestClient(app=create_app(down, NOWHERE.format(port=free_port()), verifier)) as outage:
        headers = {"Authorization": f"Bearer {verifier.issue('user_outage')}"}
        response = await outage.get(f"/api/jobs/{job}/creators", params=csv, headers=headers)
        assert response.status_code == 503
        assert "retry-after" in response.headers


async def test_an_export_cut_half_way_is_logged_and_aborted(
    client: Client,
    auth: dict[str, str],
    pool: asyncpg.Pool,
    settings: Settings,
    dsn: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    campaign = await create_campaign(client, auth)
    job = UUID(await add_job(pool, campaign, result_pages=30, creators_per_page=50))
    own_pool = await create_pool(dsn, settings)
    export = csv_body(
        State({"pool": own_pool, "acquire_timeout": 1.0, "export_reads": export_reads(1)}),
        job_creators_reader(job, NO_FILTERS, "followers", EXPORT_BATCH_ROWS),
        f"job {job}",
    )
    first = await anext(export)
    assert first.count(b"\r\n") == EXPORT_BATCH_ROWS + 1
    await own_pool.close()  # the database goes away between two batches
    with caplog.at_level(logging.WARNING, logger="service.api.streams"), pytest.raises(StreamCutError):
        await anext(export)
    assert f"CSV export of job {job} cut short after {EXPORT_BATCH_ROWS} rows" in caplog.text


async def test_a_cap_is_per_user_and_counts_only_open_responses(client: Client, user_id: str) -> None:
    slots = client.app.state.export_slots
    taken = [slots.take(user_id) for _ in range(slots.limit)]
    with pytest.raises(TooManyOpen):
        slots.take(user_id)
    taken[0].release()
    taken[0].release()  # twice changes nothing
    slots.take(user_id).release()
    for slot in taken[1:]:
        slot.release()
    assert slots.open_for(user_id) == 0


async def test_a_campaign_export_reads_each_job_in_keyset_batches(
    client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    campaign = await create_campaign(client, auth)
    first = UUID(await add_job(pool, campaign, result_pages=2, creators_per_page=3))
    empty = UUID(await add_job(pool, campaign, result_pages=0))
    second = UUID(await add_job(pool, campaign, result_pages=1, creators_per_page=2))
    export = csv_body(
        State({"pool": pool, "acquire_timeout": 5.0, "export_reads": export_reads(1)}),
        campaign_creators_reader([first, empty, second], 2),
        f"campaign {campaign['id']}",
    )
    chunks = [chunk async for chunk in export]
    assert [chunk.count(b"\r\n") for chunk in chunks] == [1 + 2, 2, 2, 2], "batches of 2; the empty job adds none"
    over_http = await client.get("/api/export/csv", params={"campaignId": campaign["id"]}, headers=auth)
    assert over_http.status_code == 200
    assert over_http.content == b"".join(chunks)
