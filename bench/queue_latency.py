"""Queue latency under load: U users each start J searches at once, then one light user starts one.

    python -m bench.queue_latency [--users 6] [--jobs 8] [--latency-ms 500] [--processes 1 2]

Starts a throw-away embedded PostgreSQL (or uses DATABASE_URL) and, for each
process count, that many worker processes with the default settings (their
slots, the system configuration's defaults) and the simulated provider
answering in L ms. Each worker process is the service's own worker
(`run_worker_process`) with the provider wrapped to count its calls. The
heavy users' searches (the API's default target, 1,000 creators) are created
at once with the service's queries, the light user's search --light-after-ms
later, when every slot is busy. Reported, from the database's timestamps:

- the first-page wait (creation to first stored page) of the heavy users'
  searches (p50, p90, max) and of the light user's;
- the makespan (first creation to last completion) against its ideal:
  total steps x L / calls in flight, where calls in flight is what the
  settings allow (slots of all processes, the provider's concurrency limit,
  and each user's jobs up to the per-user cap), and never less than any
  search's start plus its own steps x L (its steps run one after another);
- whether every step was done once: each provider call (job, cursor) made
  once, and every job completed with one stored page per call;
- the worker processes' CPU time over the makespan (cores they kept busy).
"""

import argparse
import asyncio
import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import psutil

from bench.dataset import dataset
from service.database import create_pool, queries
from service.embedded import embedded_database
from service.enumerations import Platform
from service.migrations import apply_pending
from service.paths import PROJECT_ROOT
from service.providers.base import Page, Profile, ProfileRef, Provider, SearchSpec
from service.providers.factory import provider_for
from service.settings import Settings, load_settings
from service.system_config import DEFAULTS
from service.worker.runner import run_worker_process

DEFAULT_TARGET = 1000  # the API's default targetResults


class CountingProvider:
    """The configured provider, counting calls per (search, cursor)."""

    def __init__(self, inner: Provider) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        self.calls[f"{' '.join(spec.keywords or [])}|{cursor}"] += 1
        return await self._inner.search(spec, cursor)

    async def profile(self, platform: Platform, ref: ProfileRef) -> Profile:
        self.calls[f"profile {platform} {ref.key}"] += 1
        return await self._inner.profile(platform, ref)

    async def close(self) -> None:
        await self._inner.close()


def work(calls_file: Path) -> None:
    """One worker process (`--worker`): runs until SIGTERM, then writes its call counts."""
    settings = load_settings()
    assert settings.database_url is not None
    provider = CountingProvider(provider_for(settings))
    try:
        asyncio.run(run_worker_process(settings, settings.database_url, provider=provider))
    finally:
        calls_file.write_text(json.dumps(provider.calls))


def start_workers(dsn: str, count: int, latency_ms: int, out: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": dsn, "SIMULATED_LATENCY_MS": str(latency_ms), "LOG_LEVEL": "WARNING"}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bench.queue_latency", "--worker", str(out / f"calls-{n}.json")],
            cwd=PROJECT_ROOT,
            env=env,
        )
        for n in range(count)
    ]


async def create_searches(
    pool: asyncpg.Pool, user_id: str, label: str, count: int, target: int = DEFAULT_TARGET
) -> None:
    """`count` searches of a user, whose keywords (`label` search n) are the same in every run."""
    async with pool.acquire() as conn:
        campaign = msgspec.json.decode(
            await queries.create_campaign(conn, user_id=user_id, name="queue", description=None, search_type="keyword")
        )
        for n in range(count):
            await queries.create_job(
                conn,
                user_id=user_id,
                campaign_id=campaign["id"],
                search_type="keyword",
                platform="TikTok",
                keywords=[f"{label} search {n}"],
                target_username=None,
                region="US",
                target_results=target,
                search_params=None,
                timeout_seconds=3600,
                max_active_jobs=1_000_000,
                max_jobs_per_minute=1_000_000,
            )


async def until(
    pool: asyncpg.Pool, count: Callable[[Any], Awaitable[int]], done: Callable[[int], bool], every: float = 0.1
) -> None:
    """Poll `count` until `done` holds."""
    while True:
        async with pool.acquire() as conn:
            if done(await count(conn)):
                return
        await asyncio.sleep(every)


def default_number(category: str, key: str) -> int:
    return int(DEFAULTS[(category, key)].default)


class Run(msgspec.Struct):
    processes: int
    heavy_waits: list[float]
    light_wait: float
    makespan: float
    ideal: float
    steps_ideal: float
    chain_ideal: float
    in_flight: int
    steps: int
    calls: int
    calls_twice: int
    lost: int
    worker_cpu_seconds: float


async def run_once(dsn: str, settings: Settings, args: argparse.Namespace, processes: int, out: Path) -> Run:
    prefix = f"queue_{uuid.uuid4().hex[:8]}_"
    latency = args.latency_ms / 1000
    workers = start_workers(dsn, processes, args.latency_ms, out)
    pool = await create_pool(dsn, settings)
    try:
        await until(pool, lambda conn: dataset.count_job_listeners(conn), lambda n: n >= processes)
        await asyncio.gather(
            *(create_searches(pool, f"{prefix}heavy_{u}", f"heavy {u}", args.jobs) for u in range(args.users))
        )
        await asyncio.sleep(args.light_after_ms / 1000)
        await create_searches(pool, f"{prefix}light", "light", 1)
        await until(pool, lambda conn: queries.count_unfinished_jobs(conn), lambda n: n == 0)
        cpu_seconds = sum(sum(psutil.Process(w.pid).cpu_times()[:2]) for w in workers)
        async with pool.acquire() as conn:
            outcomes = [r async for r in dataset.queue_job_outcomes(conn, user_prefix=prefix)]
    finally:
        await pool.close()
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=60)
    calls: Counter[str] = Counter()
    for n in range(processes):
        calls.update(json.loads((out / f"calls-{n}.json").read_text()))

    steps = sum(r["processed_runs"] for r in outcomes)
    lost = sum(
        1
        for r in outcomes
        if r["status"] != "completed"
        or not r["stored_pages"] == r["cursor"] == r["processed_runs"]
        or r["stored_creators"] != r["processed_results"]
        or r["stop_reason"] not in ("target_reached", "no_more_results")
    )
    slots = settings.worker_concurrency * processes
    per_user = default_number("worker", "max_parallel_jobs_per_user")
    provider_cap = default_number("provider_limits", f"{settings.provider}_max_concurrent_calls")
    jobs_per_user = Counter(r["user_id"] for r in outcomes)
    in_flight = min(slots, provider_cap, sum(min(n, per_user) for n in jobs_per_user.values()))
    steps_ideal = steps * latency / in_flight
    start = min(r["created_epoch"] for r in outcomes)
    chain_ideal = max(r["created_epoch"] - start + r["processed_runs"] * latency for r in outcomes)
    return Run(
        processes=processes,
        heavy_waits=[r["first_page_seconds"] for r in outcomes if "_heavy_" in r["user_id"]],
        light_wait=next(r["first_page_seconds"] for r in outcomes if r["user_id"].endswith("light")),
        makespan=max(r["completed_epoch"] for r in outcomes) - start,
        ideal=max(steps_ideal, chain_ideal),
        steps_ideal=steps_ideal,
        chain_ideal=chain_ideal,
        in_flight=in_flight,
        steps=steps,
        calls=sum(calls.values()),
        calls_twice=sum(1 for n in calls.values() if n > 1),
        lost=lost,
        worker_cpu_seconds=cpu_seconds,
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def report(run: Run, args: argparse.Namespace) -> str:
    waits = run.heavy_waits
    light_target = 2 * args.latency_ms / 1000 + 0.5
    return "\n".join(
        [
            f"| {run.processes} | {percentile(waits, 0.5):.2f} / {percentile(waits, 0.9):.2f} / {max(waits):.2f} "
            f"| {run.light_wait:.2f} (target <= {light_target:.2f}) "
            f"| {run.makespan:.1f} | {run.ideal:.1f} ({run.steps} steps x L / {run.in_flight} in flight = "
            f"{run.steps_ideal:.1f}; one search's own steps {run.chain_ideal:.1f}) "
            f"| {run.makespan / run.ideal:.2f} (target <= 1.20) "
            f"| {run.calls} calls for {run.steps} steps, {run.calls_twice} twice, {run.lost} jobs lost "
            f"| {run.worker_cpu_seconds / run.makespan:.2f} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=500)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--light-after-ms", type=int, default=1000, help="when the light user starts its search")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.worker:
        work(args.worker)
        return
    settings = load_settings()
    with (
        tempfile.TemporaryDirectory(prefix="bench-queue-") as data_dir,
        tempfile.TemporaryDirectory(prefix="bench-queue-calls-") as calls_dir,
        nullcontext(settings.database_url) if settings.database_url else embedded_database(Path(data_dir)) as dsn,
    ):
        apply_pending(dsn)
        print(
            f"{args.users} users x {args.jobs} searches of {DEFAULT_TARGET} creators, then 1 light user's search "
            f"{args.light_after_ms} ms later; simulated provider at L = {args.latency_ms} ms; default settings "
            f"({settings.worker_concurrency} slots per worker process)"
        )
        print(
            "| worker processes | heavy first page p50 / p90 / max (s) | light first page (s) | makespan (s) "
            "| ideal (s) | makespan / ideal | steps done once | worker CPU (cores) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for processes in args.processes:
            started = time.perf_counter()
            run = asyncio.run(run_once(dsn, settings, args, processes, Path(calls_dir)))
            print(report(run, args), flush=True)
            logging.info("run with %d process(es) took %.1f s", processes, time.perf_counter() - started)


if __name__ == "__main__":
    main()
