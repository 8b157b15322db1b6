"""Adopting the old system's database at scale: `python -m bench.adoption [--creators N]`.

Builds the old schema (tests/sql/old_world.sql) in a throw-away embedded
PostgreSQL, fills it with old-style result rows holding about a million
creators (bench/sql/old_world.sql), then applies the migrations one by one as
`python main.py migrate` does, while three side connections watch:

- the locks the migrating session holds on each table (sampled every 50 ms);
- a reader that keeps selecting one row of each core table, so the longest
  wait is what a reader of the old tables would have waited;
- the database's size and the data directory's (WAL included), for the peak.

Prints a report (and writes bench/out/adoption.md): per migration, its time,
the strongest lock on each table, the longest read wait, and the disk at its end.
"""

import argparse
import asyncio
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosql
import asyncpg
import psycopg2
from yoyo import get_backend, read_migrations
from yoyo.migrations import topological_sort

from bench.dataset import megabytes
from service.embedded import PGDATA_NAME, embedded_database
from service.migrations import yoyo_url
from service.paths import MIGRATIONS_DIR, PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
OLD_WORLD = PROJECT_ROOT / "tests" / "sql" / "old_world.sql"
OUT = BENCH_DIR / "out" / "adoption.md"
old_world: Any = aiosql.from_path(BENCH_DIR / "sql" / "old_world.sql", "asyncpg")
# The same file for the watchers' threads, which use psycopg2 connections as yoyo does.
watchers: Any = aiosql.from_path(BENCH_DIR / "sql" / "old_world.sql", "psycopg2")

CAMPAIGNS_PER_USER = 5
JOBS_PER_CAMPAIGN = 4
CREATORS_PER_ROW = 100
READERS = ("read_one_campaign", "read_one_job", "read_one_result", "read_one_profile", "read_one_setting")
# Strongest first (PostgreSQL's table lock modes).
LOCK_MODES = (
    "AccessExclusiveLock",
    "ExclusiveLock",
    "ShareRowExclusiveLock",
    "ShareLock",
    "ShareUpdateExclusiveLock",
    "RowExclusiveLock",
    "RowShareLock",
    "AccessShareLock",
)


@dataclass
class Step:
    migration: str
    seconds: float = 0.0
    locks: dict[str, str] = field(default_factory=dict)
    longest_read_wait: float = 0.0
    database_bytes: int = 0


@dataclass
class Watch:
    """What the side connections saw, per migration."""

    current: Step | None = None
    steps: list[Step] = field(default_factory=list)
    peak_database: int = 0
    peak_directory: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    pids: set[int] = field(default_factory=set)


def directory_bytes(path: Path) -> int:
    total = 0
    for item in path.rglob("*"):
        try:
            total += item.stat().st_size if item.is_file() else 0
        except OSError:
            continue  # a file removed while walking (a recycled WAL segment)
    return total


def stronger(mode: str, than: str | None) -> bool:
    return than is None or LOCK_MODES.index(mode) < LOCK_MODES.index(than)


def watch_locks_and_disk(dsn: str, pgdata: Path, watch: Watch) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    watch.pids.add(conn.get_backend_pid())
    ticks = 0
    while not watch.stop.is_set():
        step = watch.current
        for table, mode in watchers.locks_held(conn, pids=list(watch.pids)):
            if step is not None and stronger(mode, step.locks.get(table)):
                step.locks[table] = mode
        watch.peak_database = max(watch.peak_database, watchers.database_size(conn))
        if ticks % 10 == 0:
            watch.peak_directory = max(watch.peak_directory, directory_bytes(pgdata))
        ticks += 1
        time.sleep(0.05)
    conn.close()


def probe_readers(dsn: str, watch: Watch) -> None:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    watch.pids.add(conn.get_backend_pid())
    while not watch.stop.is_set():
        for reader in READERS:
            started = time.perf_counter()
            list(getattr(watchers, reader)(conn))  # (aiosql's select is lazy)
            waited = time.perf_counter() - started
            step = watch.current
            if step is not None:
                step.longest_read_wait = max(step.longest_read_wait, waited)
        time.sleep(0.1)
    conn.close()


async def build_old_world(dsn: str, users: int) -> tuple[int, float]:
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        started = time.perf_counter()
        await conn.execute(OLD_WORLD.read_text())
        async with conn.transaction():
            await old_world.generate_old_campaigns(conn, users=users, campaigns_per_user=CAMPAIGNS_PER_USER)
            await old_world.generate_old_jobs(conn, jobs_per_campaign=JOBS_PER_CAMPAIGN)
            await old_world.generate_old_results(conn, creators_per_row=CREATORS_PER_ROW)
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
        creators: int = await old_world.count_old_creators(conn)
        return creators, time.perf_counter() - started
    finally:
        await conn.close()


def adopt(dsn: str, watch: Watch) -> float:
    """Apply every migration, one at a time, as `python main.py migrate` does (yoyo, one lock)."""
    backend = get_backend(yoyo_url(dsn))
    started = time.perf_counter()
    try:
        with backend.lock():
            for migration in topological_sort(backend.to_apply(read_migrations(str(MIGRATIONS_DIR)))):
                step = Step(migration.id)
                watch.current = step
                began = time.perf_counter()
                backend.apply_one(migration)
                step.seconds = time.perf_counter() - began
                watch.steps.append(step)
                watch.current = None
                step.database_bytes = watchers.database_size(backend.connection)
    finally:
        backend.connection.close()
    return time.perf_counter() - started


@dataclass
class Report:
    creators: int
    generated_seconds: float
    database_before: int
    directory_before: int
    total_seconds: float
    watch: Watch

    def lines(self) -> Iterator[str]:
        watch = self.watch
        yield f"old world: {self.creators:,} creators in old-style result rows "
        yield f"(generated in {self.generated_seconds:.0f} s); database {megabytes(self.database_before)}, "
        yield f"data directory {megabytes(self.directory_before)}\n\n"
        yield f"adoption (all migrations): {self.total_seconds:.1f} s; "
        yield f"{self.total_seconds / max(self.creators, 1) * 1e6:.1f} s per million creators\n"
        yield f"peak database size {megabytes(watch.peak_database)} "
        yield f"(+{megabytes(watch.peak_database - self.database_before)}); "
        yield f"peak data directory {megabytes(watch.peak_directory)} "
        yield f"(+{megabytes(watch.peak_directory - self.directory_before)}, WAL included)\n\n"
        yield "| migration | seconds | strongest lock held per table | longest read wait s | database after |\n"
        yield "| --- | --- | --- | --- | --- |\n"
        for step in watch.steps:
            held: dict[str, list[str]] = defaultdict(list)
            for table, mode in sorted(step.locks.items()):
                held[mode].append(table)
            locks = "; ".join(f"{mode}: {', '.join(tables)}" for mode, tables in held.items()) or "-"
            yield (
                f"| {step.migration} | {step.seconds:.2f} | {locks} | {step.longest_read_wait:.2f} | "
                f"{megabytes(step.database_bytes)} |\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500, help="old users (each: 5 campaigns x 4 jobs x 100 creators)")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="adoption-bench-") as data_dir,
        embedded_database(Path(data_dir)) as dsn,
    ):
        creators, generated = asyncio.run(build_old_world(dsn, args.users))
        pgdata = Path(data_dir) / PGDATA_NAME
        probe = psycopg2.connect(dsn)
        database_before: int = watchers.database_size(probe)
        probe.close()
        watch = Watch(peak_database=database_before)
        directory_before = directory_bytes(pgdata)
        watch.peak_directory = directory_before
        threads = [
            threading.Thread(target=watch_locks_and_disk, args=(dsn, pgdata, watch), daemon=True),
            threading.Thread(target=probe_readers, args=(dsn, watch), daemon=True),
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        total = adopt(dsn, watch)
        time.sleep(0.2)
        watch.stop.set()
        for thread in threads:
            thread.join()
        report = "".join(Report(creators, generated, database_before, directory_before, total, watch).lines())
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
