"""Settings from the environment."""

import logging
from pathlib import Path

import asyncpg
import pytest

from service.database import connections_needed, warn_if_over_max_connections
from service.settings import Settings, SettingsError, load_settings


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings.uses_embedded_database
    assert (settings.host, settings.port, settings.db_pool_max_size) == ("127.0.0.1", 8000, 10)


def test_values_are_converted_and_blank_means_unset() -> None:
    settings = load_settings(
        {
            "PORT": "9001",
            "DATA_DIR": "/tmp/x",
            "ACCESS_LOG": "false",
            "SLOW_QUERY_MS": "12.5",
            "DATABASE_URL": "",
        }
    )
    assert (settings.port, settings.data_dir, settings.access_log, settings.slow_query_ms) == (
        9001,
        Path("/tmp/x"),
        False,
        12.5,
    )
    assert settings.database_url is None


@pytest.mark.parametrize(("name", "value"), [("PORT", "eighty"), ("PORT", "70000"), ("LOG_LEVEL", "LOUD")])
def test_bad_values_are_reported_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name.lower()):
        load_settings({name: value})


def test_connections_needed_counts_a_pool_and_a_listener_per_process() -> None:
    assert connections_needed(load_settings({"API_PROCESSES": "4", "DB_POOL_MAX_SIZE": "20"})) == 84


async def test_pools_larger_than_the_server_allows_are_reported(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="service.database"):
        await warn_if_over_max_connections(pool, Settings(api_processes=1, db_pool_max_size=10))
        assert caplog.text == ""
        await warn_if_over_max_connections(pool, Settings(api_processes=64, db_pool_max_size=100))
    assert "but the server allows 100" in caplog.text
