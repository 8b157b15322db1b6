"""Exponential backoff between retries (email delivery and provider calls)."""

from datetime import timedelta


def retry_delay(attempt: int, base: timedelta, cap: timedelta) -> timedelta:
    """Base after the first failed attempt, doubling after each one, never above cap."""
    delay: timedelta = base * 2 ** max(attempt - 1, 0)
    return min(delay, cap)
