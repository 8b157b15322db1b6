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


def parse_duration(text: str) -> timedelta:
    """`30s`, `5m`, `2h`, `1d`, `250ms`, or combinations such as `1h30m`."""
    compact = text.strip()
    if not _DURATION.fullmatch(compact):
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m, 2h or 1d")
    seconds = sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(compact))
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
    """A key the service reads, with its type and the value used when none is stored."""

    category: str
    key: str
    value_type: ValueType
    default: str
    description: str


SETTINGS: tuple[Setting, ...] = (
    # Every call counts, retried and profile calls included: with ScrapeCreators a
    # default search (1,000 creators, about 20 a page, one profile call each)
    # needs about 1,050; the budget leaves room for retries.
    Setting("api_limits", "max_api_calls_tiktok", "number", "1200", "Provider calls one TikTok job may make"),
    Setting("api_limits", "max_api_calls_instagram", "number", "1200", "Provider calls one Instagram job may make"),
    Setting("api_limits", "max_api_calls_youtube", "number", "1200", "Provider calls one YouTube job may make"),
    Setting("api_limits", "max_active_jobs_per_user", "number", "10", "Unfinished jobs one user may have at once"),
    Setting("api_limits", "max_jobs_per_minute", "number", "30", "Jobs one user may start in any minute"),
    Setting(
        "timeouts", "standard_job_timeout", "duration", "30m", "A job still running this long after creation times out"
    ),
    Setting("worker", "lease_duration", "duration", "30s", "How long a worker's claim on a job or an email lasts"),
    Setting("worker", "poll_interval", "duration", "2s", "How often an idle worker looks for work"),
    Setting("worker", "max_step_attempts", "number", "4", "Provider calls tried for one page before a job fails"),
    Setting("worker", "retry_base_delay", "duration", "2s", "Wait after a failed provider call; doubles each time"),
    Setting("worker", "retry_max_delay", "duration", "1m", "Longest wait between provider retries"),
    Setting("worker", "max_parallel_jobs_per_user", "number", "8", "Jobs of one user advanced at once (all workers)"),
    # Bounds on calls to each provider over all worker processes, enforced in
    # PostgreSQL (README, "Sizing workers and provider limits").
    Setting(
        "provider_limits", "simulated_max_concurrent_calls", "number", "64", "Calls to the simulated provider at once"
    ),
    Setting(
        "provider_limits", "simulated_max_calls_per_second", "number", "200", "Calls started per second (simulated)"
    ),
    Setting(
        "provider_limits",
        "scrapecreators_max_concurrent_calls",
        "number",
        "32",
        "Calls to ScrapeCreators at once (set to your plan's limit)",
    ),
    Setting(
        "provider_limits",
        "scrapecreators_max_calls_per_second",
        "number",
        "50",
        "Calls to ScrapeCreators started per second (set to your plan's limit)",
    ),
    Setting("email", "max_attempts", "number", "5", "Delivery attempts before an email is marked failed"),
    Setting("email", "retry_base_delay", "duration", "30s", "Wait after the first failed attempt; doubles each time"),
    Setting("email", "retry_max_delay", "duration", "1h", "Longest wait between two attempts"),
)
DEFAULTS: dict[tuple[str, str], Setting] = {(s.category, s.key): s for s in SETTINGS}


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
            return parse_value(setting.value_type, row.value), row.is_hot_reloadable
        except ValueError as exc:
            log.error(
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
