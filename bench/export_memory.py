"""Memory of the CSV export: the service process while it streams a job's creators.

    python -m bench.export_memory [--sizes 1000 10000 100000]

Runs the service's own export generator (the one behind
GET /api/jobs/{id}/creators?format=csv) on jobs of each size in the bench
database, and samples this process's resident memory every 5 ms. Rows come
in keyset batches, so the peak should not grow with the size.
"""

import argparse
import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import psutil
from litestar.datastructures import State

from bench.dataset import bench_database, dataset
from service.api.streams import EXPORT_BATCH_ROWS, CreatorFilters, csv_body, export_reads, job_creators_reader
from service.database import create_pool
from service.settings import load_settings

EXPORT_USER = "bench_user_1"
CREATORS_PER_PAGE = 20
NO_FILTERS = CreatorFilters(min_followers=None, max_followers=None, has_email=None, hashtag=None)


async def export_size(chunks: AsyncIterator[bytes]) -> int:
    return sum([len(chunk) async for chunk in chunks])


async def peak_rss_while(process: psutil.Process, work: Coroutine[Any, Any, int]) -> tuple[int, int]:
    """The result of `work`, and the highest resident memory seen (every 5 ms) while it ran."""
    task = asyncio.ensure_future(work)
    peak = process.memory_info().rss
    while not task.done():
        peak = max(peak, process.memory_info().rss)
        await asyncio.sleep(0.005)
    return task.result(), peak


async def measure(dsn: str, sizes: list[int]) -> list[tuple[int, float, float, int, float]]:
    settings = load_settings()
    pool = await create_pool(dsn, settings)
    process = psutil.Process()
    results = []
    try:
        for size in sizes:
            async with pool.acquire() as conn:
                job_id = await dataset.find_big_job(conn, user_id=EXPORT_USER, creators=size)
                if job_id is None:
                    job_id = await dataset.generate_big_job(
                        conn,
                        user_id=EXPORT_USER,
                        pages=size // CREATORS_PER_PAGE,
                        creators_per_page=CREATORS_PER_PAGE,
                        bio_length=0,
                    )
            state = State({"pool": pool, "acquire_timeout": 5.0, "export_reads": export_reads(1)})
            baseline = process.memory_info().rss
            started = time.perf_counter()
            read = job_creators_reader(job_id, NO_FILTERS, "followers", EXPORT_BATCH_ROWS)
            sent, peak = await peak_rss_while(process, export_size(csv_body(state, read, f"job {job_id}")))
            elapsed = time.perf_counter() - started
            results.append((size, baseline / 2**20, peak / 2**20, sent, elapsed))
    finally:
        await pool.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    args = parser.parse_args()
    with bench_database(load_settings().database_url) as dsn:
        rows = asyncio.run(measure(dsn, args.sizes))
    print("| creators | RSS before | peak RSS during | growth | CSV size | time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size, before, peak, sent, elapsed in rows:
        cells = [f"{size:,}", f"{before:.1f} MB", f"{peak:.1f} MB", f"{peak - before:+.1f} MB"]
        cells += [f"{sent / 2**20:.1f} MB", f"{elapsed:.2f} s"]
        print(f"| {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
