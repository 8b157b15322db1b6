"""SystemConfig: typed parsing, defaults, the TTL cache across processes, bad stored values."""

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import create_pool
from service.settings import Settings
from service.system_config import DEFAULTS, SystemConfig, checked_setting, parse_duration, parse_value
from tests.conftest import SECRET
from tests.factories import create_campaign, fixtures
from tests.stubs import ManualClock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("250ms", 0.25), ("1h30m", 5400), (" 10s ", 10)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value_type", "text", "expected"),
    [
        ("number", "5", 5),
        ("number", "-2.5", -2.5),
        ("boolean", "TRUE", True),
        ("boolean", "false", False),
        ("string", " kept as is ", " kept as is "),
        ("json", '{"a": [1, 2]}', {"a": [1, 2]}),
    ],
)
def test_values(value_type: str, text: str, expected: object) -> None:
    assert parse_value(value_type, text) == expected


@pytest.mark.parametrize(
    ("value_type", "text"),
    [("number", "abc"), ("number", "inf"), ("duration", "5x"), ("duration", "5"), ("boolean", "yes"), ("json", "{")],
)
def test_unparsable_values(value_type: str, text: str) -> None:
    with pytest.raises(ValueError, match="not"):
        parse_value(value_type, text)


def test_every_default_parses() -> None:
    for setting in DEFAULTS.values():
        parse_value(setting.value_type, setting.default)
    assert DEFAULTS[("api_limits", "max_api_calls_tiktok")].default == "1200"
    assert DEFAULTS[("timeouts", "standard_job_timeout")].default == "30m"


@pytest.fixture
async def second_pool(module_database: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of another "process" on the same database."""
    db_pool = await create_pool(module_database, Settings(database_url=module_database))
    yield db_pool
    await db_pool.close()


@pytest.fixture
async def first_pool(module_database: str) -> AsyncIterator[asyncpg.Pool]:
    db_pool = await create_pool(module_database, Settings(database_url=module_database))
    yield db_pool
    await db_pool.close()


async def store(pool: asyncpg.Pool, category: str, key: str, value: str, value_type: str, hot: bool = True) -> None:
    async with pool.acquire() as conn:
        await fixtures.store_raw_config(
            conn, category=category, key=key, value=value, value_type=value_type, is_hot_reloadable=hot
        )


async def test_defaults_apply_until_a_value_is_stored(first_pool: asyncpg.Pool) -> None:
    config = SystemConfig(first_pool, clock=ManualClock())
    assert await config.number("api_limits", "max_api_calls_youtube") == 1200
    assert await config.duration("timeouts", "standard_job_timeout") == timedelta(minutes=30)
    with pytest.raises(KeyError):
        await config.get("api_limits", "never_declared")


async def test_a_hot_reloadable_change_reaches_another_process_within_the_ttl(
    first_pool: asyncpg.Pool, second_pool: asyncpg.Pool
) -> None:
    clock = ManualClock()
    other_process = SystemConfig(second_pool, clock=clock)
    assert await other_process.number("api_limits", "max_api_calls_instagram") == 1200

    await store(first_pool, "api_limits", "max_api_calls_instagram", "9", "number")
    clock.now += 29
    assert await other_process.number("api_limits", "max_api_calls_instagram") == 1200, "still cached"
    clock.now += 2
    assert await other_process.number("api_limits", "max_api_calls_instagram") == 9


async def test_a_value_that_is_not_hot_reloadable_is_read_once(
    first_pool: asyncpg.Pool, second_pool: asyncpg.Pool
) -> None:
    await store(first_pool, "email", "max_attempts", "3", "number", hot=False)
    clock = ManualClock()
    other_process = SystemConfig(second_pool, clock=clock)
    assert await other_process.number("email", "max_attempts") == 3
    await store(first_pool, "email", "max_attempts", "7", "number", hot=False)
    clock.now += 3600
    assert await other_process.number("email", "max_attempts") == 3, "until the process restarts"
    assert await SystemConfig(second_pool, clock=clock).number("email", "max_attempts") == 7


@pytest.mark.parametrize(("value", "value_type"), [("soon", "duration"), ("10", "number")])
async def test_an_unusable_stored_value_falls_back_to_the_default(
    first_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, value: str, value_type: str
) -> None:
    await store(first_pool, "worker", "lease_duration", value, value_type)
    with caplog.at_level(logging.WARNING, logger="service.system_config"):
        assert await SystemConfig(first_pool).duration("worker", "lease_duration") == timedelta(seconds=30)
    assert "worker.lease_duration" in caplog.text


async def test_an_unreachable_database_gives_the_last_known_value(module_database: str) -> None:
    settings = Settings(database_url=module_database, db_pool_min_size=0)
    pool = await create_pool(module_database, settings)
    clock = ManualClock()
    config = SystemConfig(pool, clock=clock)
    await store(pool, "api_limits", "max_api_calls_tiktok", "4", "number")
    assert await config.number("api_limits", "max_api_calls_tiktok") == 4
    await pool.close()
    clock.now += 60
    assert await config.number("api_limits", "max_api_calls_tiktok") == 4


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (("api_limits", "max_active_jobs_per_user"), "1e300"),
        (("api_limits", "max_active_jobs_per_user"), "-5"),
        (("api_limits", "max_active_jobs_per_user"), "2.5"),
        (("api_limits", "max_jobs_per_minute"), "0"),
        (("timeouts", "standard_job_timeout"), "100000000000d"),
        (("timeouts", "standard_job_timeout"), "0s"),
        (("worker", "poll_interval"), "1ms"),
    ],
)
def test_values_outside_a_keys_bounds_are_refused(key: tuple[str, str], text: str) -> None:
    with pytest.raises(ValueError, match=r"must|longer"):
        checked_setting(DEFAULTS[key], text)


def test_every_default_is_within_its_bounds() -> None:
    for setting in DEFAULTS.values():
        checked_setting(setting, setting.default)
        checked_setting(setting, setting.least)
        checked_setting(setting, setting.most)


@pytest.mark.parametrize("value", ["1e300", "-5"])
async def test_a_value_stored_by_hand_outside_its_bounds_never_breaks_a_user_route(
    module_database: str, first_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    await store(first_pool, "api_limits", "max_active_jobs_per_user", value, "number")
    settings = Settings(database_url=module_database, auth_jwt_secret=SECRET, run_worker=False, access_log=False)
    verifier = TokenVerifier.from_settings(settings)
    headers = {"Authorization": f"Bearer {verifier.issue(f'user_{uuid.uuid4().hex}')}"}
    with caplog.at_level(logging.WARNING, logger="service.system_config"):
        async with AsyncTestClient(app=create_app(settings, module_database, verifier)) as client:
            campaign = await create_campaign(client, headers)
            job = await client.post(
                "/api/scraping/tiktok", json={"campaignId": campaign["id"], "keywords": ["x"]}, headers=headers
            )
    assert job.status_code == 201, job.text
    assert (
        "max_active_jobs_per_user has an unusable value (must be from 1 to 10000); using the default 10" in caplog.text
    )
    async with first_pool.acquire() as conn:
        await fixtures.store_raw_config(
            conn,
            category="api_limits",
            key="max_active_jobs_per_user",
            value="10",
            value_type="number",
            is_hot_reloadable=True,
        )
