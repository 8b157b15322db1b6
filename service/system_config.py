"""Operator-tunable settings stored in system_configurations, with defaults in code.

Values are stored as text and parsed by their value type. Hot-reloadable
entries are cached for TTL seconds, so a change made through the admin API
reaches every running process within that time; the others are read once per
process. A stored value that no longer parses is logged and the default used.
"""

import logging
import math
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal, NamedTuple, get_args

import asyncpg
import msgspec

from service.database import DATABASE_ERRORS, queries
from service.query_types import GetConfigEntryRow
from service.settings import DEFAULT_ACQUIRE_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

ValueType = Literal["number", "boolean", "duration", "string", "json"]
VALUE_TYPES: tuple[str, ...] = get_args(ValueType)
CACHE_TTL_SECONDS = 30.0

_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d)")
_DURATION = re.compile(r"(?:\d+(?:ms|s|m|h|d))+")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_INTEGER = re.compile(r"[+-]?\d+")


# Longer than any setting could mean; also keeps timedelta (at most 999,999,999 days) from overflowing.
LONGEST_DURATION = timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    """`30s`, `5m`, `2h`, `1d`, `250ms`, or combinations such as `1h30m`."""
    compact = text.strip()
    if not _DURATION.fullmatch(compact):
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m, 2h or 1d")
    seconds = sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(compact))
    if seconds > LONGEST_DURATION.total_seconds():
        raise ValueError(f"{text!r} is longer than {LONGEST_DURATION.days} days")
    return timedelta(seconds=seconds)


def parse_number(text: str) -> int | float:
    compact = text.strip()
    if _INTEGER.fullmatch(compact):
        return int(compact)
    try:
        number = float(compact)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


def parse_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"{text!r} is not a boolean (true or false)")
    return lowered == "true"


def parse_json(text: str) -> Any:
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None


_PARSERS: dict[str, Callable[[str], Any]] = {
    "number": parse_number,
    "boolean": parse_boolean,
    "duration": parse_duration,
    "string": str,
    "json": parse_json,
}


def parse_value(value_type: str, text: str) -> Any:
    """The typed value of `text`; ValueError with a readable reason when it does not parse."""
    return _PARSERS[value_type](text)


class Setting(NamedTuple):
    """A key the service reads: its type, the value used when none is stored, and the values it accepts.

    Numbers are whole numbers from `least` to `most`; durations are `least` to `most` too
    (written as durations). A value outside is refused by the admin API (400) and, if
    stored by other means, ignored in favour of the default.
    """

    category: str
    key: str
    value_type: ValueType
    default: str
    description: str
    least: str
    most: str


def _count(category: str, key: str, default: str, description: str, least: int, most: int) -> Setting:
    return Setting(category, key, "number", default, description, str(least), str(most))


def _duration(category: str, key: str, default: str, description: str, least: str, most: str) -> Setting:
    return Setting(category, key, "duration", default, description, least, most)


SETTINGS: tuple[Setting, ...] = (
    # Every call counts, retried and profile calls included: with ScrapeCreators a
    # default search (1,000 creators, about 20 a page, one profile call each)
    # needs about 1,050; the budget leaves room for retries.
    _count("api_limits", "max_api_calls_tiktok", "1200", "Provider calls one TikTok job may make", 1, 100_000),
    _count("api_limits", "max_api_calls_instagram", "1200", "Provider calls one Instagram job may make", 1, 100_000),
    _count("api_limits", "max_api_calls_youtube", "1200", "Provider calls one YouTube job may make", 1, 100_000),
    _count("api_limits", "max_active_jobs_per_user", "10", "Unfinished jobs one user may have at once", 1, 10_000),
    _count("api_limits", "max_jobs_per_minute", "30", "Jobs one user may start in any minute", 1, 10_000),
    _duration(
        "timeouts",
        "standard_job_timeout",
        "30m",
        "A job still running this long after creation times out",
        "1m",
        "7d",
    ),
    _duration("worker", "lease_duration", "30s", "How long a worker's claim on a job or an email lasts", "5s", "1h"),
    _duration("worker", "poll_interval", "2s", "How often an idle worker looks for work", "100ms", "5m"),
    _count("worker", "max_step_attempts", "4", "Provider calls tried for one page before a job fails", 1, 20),
    _duration(
        "worker", "retry_base_delay", "2s", "Wait after a failed provider call; doubles each time", "100ms", "10m"
    ),
    _duration("worker", "retry_max_delay", "1m", "Longest wait between provider retries", "1s", "1d"),
    _count("worker", "max_parallel_jobs_per_user", "8", "Jobs of one user advanced at once (all workers)", 1, 1_000),
    # Bounds on calls to each provider over all worker processes, enforced in
    # PostgreSQL (README, "Sizing workers and provider limits").
    _count(
        "provider_limits", "simulated_max_concurrent_calls", "64", "Calls to the simulated provider at once", 1, 10_000
    ),
    _count(
        "provider_limits", "simulated_max_calls_per_second", "200", "Calls started per second (simulated)", 1, 100_000
    ),
    _count(
        "provider_limits",
        "scrapecreators_max_concurrent_calls",
        "32",
        "Calls to ScrapeCreators at once (set to your plan's limit)",
        1,
        10_000,
    ),
    _count(
        "provider_limits",
        "scrapecreators_max_calls_per_second",
        "50",
        "Calls to ScrapeCreators started per second (set to your plan's limit)",
        1,
        100_000,
    ),
    _count("email", "max_attempts", "5", "Delivery attempts before an email is marked failed", 1, 50),
    _duration("email", "retry_base_delay", "30s", "Wait after the first failed attempt; doubles each time", "1s", "1d"),
    _duration("email", "retry_max_delay", "1h", "Longest wait between two attempts", "1s", "7d"),
)
DEFAULTS: dict[tuple[str, str], Setting] = {(s.category, s.key): s for s in SETTINGS}


def checked_setting(setting: Setting, text: str) -> Any:
    """The value of `text` for a declared key; ValueError unless it parses and is within the key's bounds."""
    value = parse_value(setting.value_type, text)
    least, most = parse_value(setting.value_type, setting.least), parse_value(setting.value_type, setting.most)
    if setting.value_type == "number" and value != int(value):
        raise ValueError("must be a whole number")
    if not least <= value <= most:
        raise ValueError(f"must be from {setting.least} to {setting.most}")
    return int(value) if setting.value_type == "number" else value


class _Cached(NamedTuple):
    value: Any
    expires_at: float


class SystemConfig:
    """Reads typed settings for one process, through a TTL cache."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        ttl_seconds: float = CACHE_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        *,
        acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT_SECONDS,
    ) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[tuple[str, str], _Cached] = {}

    async def get(self, category: str, key: str) -> Any:
        """The current value of a declared setting (KeyError for an undeclared one)."""
        setting = DEFAULTS[(category, key)]
        cached = self._cache.get((category, key))
        now = self._clock()
        if cached is not None and cached.expires_at > now:
            return cached.value
        try:
            # Bounded like every other acquire: with the pool exhausted a request
            # goes on (to its own acquire, and a 503) instead of waiting forever.
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                row = await queries.get_config_entry(conn, category=category, key=key)
        except DATABASE_ERRORS as exc:
            log.warning("could not read setting %s.%s (%s); using the last known value", category, key, exc)
            return cached.value if cached is not None else parse_value(setting.value_type, setting.default)
        value, hot = self._value_of(setting, row)
        self._cache[(category, key)] = _Cached(value, now + self._ttl if hot else math.inf)
        return value

    def _value_of(self, setting: Setting, row: GetConfigEntryRow | None) -> tuple[Any, bool]:
        if row is None:
            return parse_value(setting.value_type, setting.default), True
        if row.value_type != setting.value_type:
            log.error(
                "setting %s.%s is stored as %s but read as %s; using the default %s",
                setting.category,
                setting.key,
                row.value_type,
                setting.value_type,
                setting.default,
            )
            return parse_value(setting.value_type, setting.default), row.is_hot_reloadable
        try:
            return checked_setting(setting, row.value), row.is_hot_reloadable
        except ValueError as exc:
            log.warning(
                "setting %s.%s has an unusable value (%s); using the default %s",
                setting.category,
                setting.key,
                exc,
                setting.default,
            )
            return parse_value(setting.value_type, setting.default), row.is_hot_reloadable

    def forget(self, category: str, key: str) -> None:
        """Drop a cached value, so this process sees a change it made itself at once."""
        self._cache.pop((category, key), None)

    async def number(self, category: str, key: str) -> int | float:
        value: int | float = await self.get(category, key)
        return value

    async def duration(self, category: str, key: str) -> timedelta:
        value: timedelta = await self.get(category, key)
        return value
