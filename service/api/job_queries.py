"""Parameter rules of the job listing: whitelisted sorting and instants from the query string."""

from datetime import UTC, date, datetime, time

from service.api.shapes import Platform
from service.errors import InvalidInput

SORT_COLUMNS = ("createdAt", "updatedAt", "processedResults", "progress")
SORT_ORDERS = ("asc", "desc")
PLATFORM_NAMES: dict[str, Platform] = {"tiktok": "TikTok", "instagram": "Instagram", "youtube": "YouTube"}


def checked_choice(value: str, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(field, f"must be one of {', '.join(allowed)}")
    return value


def platform_name(value: str) -> str:
    """`TikTok`, `tiktok` or `TIKTOK` -> `TikTok`."""
    name = PLATFORM_NAMES.get(value.lower())
    if name is None:
        raise InvalidInput("platform", f"must be one of {', '.join(PLATFORM_NAMES.values())}")
    return name


def parse_instant(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is UTC. A bare date means the
    start of that day, or its end with `end_of_day` (so that `createdTo=2026-01-31` includes the 31st)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(field, "must be an ISO 8601 date or date-time, such as 2026-01-31T12:00:00Z") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
