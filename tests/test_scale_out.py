"""Scale-out: several API processes and two worker processes against one database."""

import asyncio
import signal
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import msgspec
import psutil
import pytest

from service.auth import TokenVerifier
from service.database import create_pool, queries
from service.settings import Settings
from tests.conftest import SECRET
from tests.factories import fixtures, launch_job
from tests.processes import child_env, running_service, worker_process

JOBS = 30
STEPS = 3  # 60 creators in pages of 20


@pytest.fixture(scope="module")
async def db(module_database: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(module_database, Settings(database_url=module_database))
    async with pool.acquire() as conn:
        await fixtures.store_raw_config(
            conn, category="worker", key="poll_interval", value="100ms", value_type="duration", is_hot_reloadable=True
        )
    yield pool
    await pool.close()


async def test_two_worker_processes_share_the_jobs_and_do_none_twice(db: asyncpg.Pool, module_database: str) -> None:
    processes = [worker_process(module_database, latency_ms=30, concurrency=2) for _ in range(2)]
    try:
        user_id = f"user_{uuid.uuid4().hex}"
        job_ids = []
        async with db.acquire() as conn:
            campaign = msgspec.json.decode(
                await queries.create_campaign(conn, user_id=user_id, name="c", description=None, search_type="keyword")
            )
        for i in range(JOBS):
            job_ids.append(
                await launch_job(db, user_id, campaign["id"], keywords=["street style", f"k{i}"], target_results=60)
            )

        async def all_done() -> list[Any]:
            async with db.acquire() as conn:
                return [await fixtures.job_row(conn, job_id=job_id) for job_id in job_ids]

        for _ in range(600):
            rows = await all_done()
            if all(r["status"] == "completed" for r in rows):
                break
            await asyncio.sleep(0.1)
        assert [r["status"] for r in rows] == ["completed"] * JOBS
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""

    async with db.acquire() as conn:
        for job_id in job_ids:
            pages = [r["page"] async for r in fixtures.job_pages(conn, job_id=job_id)]
            assert pages == list(range(STEPS)), "every step stored exactly once"
            assert (await fixtures.job_row(conn, job_id=job_id))["processed_runs"] == STEPS
        run_ids = [await fixtures.job_run_id(conn, job_id=job_id) for job_id in job_ids]
    per_process = Counter(run_id.split(":")[1] for run_id in run_ids)
    assert len(per_process) == 2, f"both processes worked: {per_process}"


def test_several_api_processes_serve_one_database(dsn: str) -> None:
    env = child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, API_PROCESSES="2", RUN_WORKER="false")
    with running_service(env) as (url, parent):
        servers = [p for p in psutil.Process(parent.pid).children() if "spawn_main" in " ".join(p.cmdline())]
        assert len(servers) == 2, "one parent, two API processes"
        headers = {"Authorization": f"Bearer {TokenVerifier(secret=SECRET).issue(f'user_{uuid.uuid4().hex}')}"}
        with httpx.Client(base_url=url, headers=headers) as client:
            created = [
                client.post("/api/campaigns", json={"name": f"c{i}", "searchType": "keyword"}) for i in range(10)
            ]
            assert {r.status_code for r in created} == {201}
            assert client.get("/api/campaigns").json()["pagination"]["total"] == 10
    assert not [p for p in servers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
