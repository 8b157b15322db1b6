"""Migrations: apply, roll back and re-apply give the same schema; every index is valid."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import psycopg2.errors
import pytest

from service.database import queries
from service.migrations import ADOPTION_MIGRATION, MigrationError, apply_pending, migration_ids, rollback
from service.paths import MIGRATIONS_DIR, PROJECT_ROOT
from service.schema_dump import SCHEMA_FILE
from service.schema_dump import dump as schema_dump
from tests.factories import fixtures


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


def test_schema_file_is_what_the_migrations_make(dsn: str) -> None:
    # dsn: the session's database, migrated from scratch.
    assert SCHEMA_FILE.read_text() == schema_dump(dsn), "run: python -m service.schema_dump"


async def functions_named(dsn: str, names: list[str]) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [row["proname"] async for row in fixtures.functions_named(conn, names=names)]
    finally:
        await conn.close()


UNUSED_FUNCTIONS = ["campaign_json", "config_entry_json", "job_creators", "job_json", "profile_json", "result_json"]


async def test_unused_functions_are_dropped_and_come_back_with_a_rollback(empty_database: str) -> None:
    ids = migration_ids()
    apply_pending(empty_database)
    assert await functions_named(empty_database, UNUSED_FUNCTIONS) == []
    rollback(empty_database, len(ids) - ids.index("0009_drop_unused_functions"))
    assert await functions_named(empty_database, UNUSED_FUNCTIONS) == UNUSED_FUNCTIONS
    apply_pending(empty_database)
    assert await functions_named(empty_database, UNUSED_FUNCTIONS) == []


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


def scratch_migrations(tmp_path: Path, extra: dict[str, str]) -> Path:
    """The project's migrations plus some of a test's own, in a directory of their own."""
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, directory)
    for name, text in extra.items():
        (directory / name).write_text(text)
    return directory


async def test_a_migration_failing_half_way_leaves_the_schema_as_it_was(empty_database: str, tmp_path: Path) -> None:
    broken = "-- depends: 0005_drop_creators_gin\nCREATE TABLE half_done (id integer);\nSELECT 1 / 0;\n"
    directory = scratch_migrations(tmp_path, {"0099_broken.sql": broken})
    with pytest.raises(psycopg2.errors.DivisionByZero):
        apply_pending(empty_database, directory)
    assert "half_done" not in await app_tables(empty_database)
    assert "campaigns" in await app_tables(empty_database), "the migrations before it stay applied"
    assert apply_pending(empty_database) == [], "only the broken one is pending"


async def test_a_failed_concurrent_index_build_is_not_accepted(empty_database: str, tmp_path: Path) -> None:
    # The pitfall: IF NOT EXISTS on a concurrent build that failed once makes the
    # next run skip it and mark the migration applied, with the index INVALID.
    unique_names = (
        "-- depends: 0005_drop_creators_gin\n-- transactional: false\n"
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS campaigns_name_unique ON campaigns (name);\n"
    )
    apply_pending(empty_database)
    conn = await asyncpg.connect(empty_database)
    try:
        for _ in range(2):
            await queries.create_campaign(conn, user_id="u", name="same", description=None, search_type="keyword")
    finally:
        await conn.close()
    directory = scratch_migrations(tmp_path, {"0099_unique_names.sql": unique_names})
    with pytest.raises(psycopg2.errors.UniqueViolation):
        apply_pending(empty_database, directory)
    with pytest.raises(MigrationError, match="campaigns_name_unique"):
        apply_pending(empty_database, directory)


def migrations_before(tmp_path: Path, first_left_out: str) -> Path:
    """The project's migrations up to, not including, the one named (and 0010, which 0001 depends on)."""
    directory = tmp_path / "earlier"
    directory.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name < first_left_out or path.name.startswith(ADOPTION_MIGRATION):
            shutil.copy(path, directory / path.name)
    return directory


async def test_kept_counts_and_creators_start_from_the_rows_already_there(empty_database: str, tmp_path: Path) -> None:
    apply_pending(empty_database, migrations_before(tmp_path, "0007"))
    conn = await asyncpg.connect(empty_database)
    try:
        for user_id, name in [("u1", "a"), ("u1", "b"), ("u1", "c"), ("u2", "d")]:
            campaign = await queries.create_campaign(
                conn, user_id=user_id, name=name, description=None, search_type="keyword"
            )
        await fixtures.complete_campaigns_named(conn, name="b")
        job_id = await fixtures.insert_job_row(
            conn,
            user_id="u2",
            campaign_id=json.loads(campaign)["id"],
            keywords=json.dumps(["x"]),
            platform="TikTok",
            status="completed",
            processed_results=3,
            progress=100,
            created_at=None,
        )
        # A bare connection: JSON goes in as text.
        seen = [{"creator": {"handle": h, "followers": f}, "platform": "TikTok"} for h, f in [("a", 1), ("b", 2)]]
        await fixtures.insert_result_fixture(conn, job_id=job_id, page=0, creators=json.dumps(seen))
        await fixtures.insert_result_fixture(
            conn, job_id=job_id, page=1, creators=json.dumps([{**seen[0], "hashtags": ["#x"]}])
        )

        assert apply_pending(empty_database)[:2] == ["0007_campaign_counts", "0008_found_creators"]
        for user_id in ("u1", "u2"):
            assert [dict(row) async for row in fixtures.campaign_count_drift(conn, user_id=user_id)] == []
        assert [row async for row in fixtures.found_creators_drift(conn, job_id=job_id)] == []
        assert await fixtures.count_found_creators(conn, job_id=job_id) == 2
        page = await queries.list_campaigns_page(
            conn,
            user_id="u1",
            status=None,
            active_only=False,
            before_created_at=None,
            before_id=None,
            page_size=1,
            skip=0,
        )
        assert page.total == 3
    finally:
        await conn.close()
