"""Settings from the environment."""

from pathlib import Path

import pytest

from service.settings import SettingsError, load_settings


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
