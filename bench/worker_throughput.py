"""Jobs per second of one worker process with the simulated provider at zero latency.

    python -m bench.worker_throughput [--jobs 500] [--concurrency 1 4 8]

Starts a throw-away embedded PostgreSQL (or uses DATABASE_URL), lifts the
simulated provider's call limits (system configuration), creates the jobs
with the service's own queries (100 creators each: five steps of 20),
runs one Worker until every job has completed, and prints jobs/s and steps/s
for each concurrency. Each run gets fresh jobs; the embedded database is
deleted at the end.
"""

import argparse
import asyncio
import logging
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

import asyncpg
import msgspec

from bench.queue_latency import create_searches
from service.database import create_pool, queries
from service.embedded import embedded_database
from service.migrations import apply_pending
from service.providers.simulated import SimulatedProvider
from service.settings import Settings, load_settings
from service.system_config import SystemConfig
from service.worker.runner import Worker

TARGET = 100


async def create_jobs(pool: asyncpg.Pool, count: int) -> None:
    await create_searches(pool, f"bench_{uuid.uuid4().hex}", "bench", count, target=TARGET)


async def wait_until_idle(pool: asyncpg.Pool, stop: asyncio.Event) -> None:
    while True:
        async with pool.acquire() as conn:
            if await queries.count_unfinished_jobs(conn) == 0:
                stop.set()
                return
        await asyncio.sleep(0.05)


async def lift_provider_limits(pool: asyncpg.Pool) -> None:
    """This measures the worker, not the simulated provider's configured limits: lift them."""
    async with pool.acquire() as conn:
        for key in ("simulated_max_concurrent_calls", "simulated_max_calls_per_second"):
            await queries.upsert_config_entry(
                conn,
                category="provider_limits",
                key=key,
                value="1000000",
                value_type="number",
                description=None,
                replace_description=False,
                is_hot_reloadable=None,
            )


async def measure(dsn: str, settings: Settings, jobs: int, concurrency: int) -> tuple[float, float]:
    pool = await create_pool(dsn, settings)
    try:
        await lift_provider_limits(pool)
        await create_jobs(pool, jobs)
        stop = asyncio.Event()
        worker = Worker(pool, SystemConfig(pool), settings, concurrency=concurrency, provider=SimulatedProvider())
        started = time.perf_counter()
        await asyncio.gather(worker.run(stop), wait_until_idle(pool, stop))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    steps = jobs * TARGET / 20
    return jobs / elapsed, steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = msgspec.structs.replace(load_settings(), db_pool_max_size=max(args.concurrency) + 4)

    with (
        tempfile.TemporaryDirectory(prefix="bench-worker-") as data_dir,
        nullcontext(settings.database_url) if settings.database_url else embedded_database(Path(data_dir)) as target,
    ):
        apply_pending(target)
        print(f"one worker, simulated provider at zero latency, {args.jobs} jobs of {TARGET} creators (5 steps)")
        print("| concurrency | jobs/s | steps/s |")
        print("| --- | --- | --- |")
        for concurrency in args.concurrency:
            jobs_per_second, steps_per_second = asyncio.run(measure(target, settings, args.jobs, concurrency))
            print(f"| {concurrency} | {jobs_per_second:.1f} | {steps_per_second:.0f} |")


if __name__ == "__main__":
    main()
