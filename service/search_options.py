"""Search options (a job's `searchParams`): what the provider documents, per platform and search type.

A client names options in camelCase; each maps to one query parameter of the
provider's search endpoint (ScrapeCreators, see the README's provider section).
Validation is strict: an unknown key or a value outside the documented set is a
400 that names every offending field, and nothing is stored.
"""

from collections.abc import Mapping
from typing import Any

import msgspec

from service.enumerations import SearchType
from service.errors import FieldError, InvalidFields


class SearchOption(msgspec.Struct, frozen=True):
    provider_param: str
    values: tuple[str, ...]


_TIKTOK_KEYWORD = {
    # /v1/tiktok/search/keyword
    "datePosted": SearchOption(
        "date_posted", ("all-time", "yesterday", "this-week", "this-month", "last-3-months", "last-6-months")
    ),
    "sortBy": SearchOption("sort_by", ("relevance", "most-liked", "date-posted")),
}
_INSTAGRAM_KEYWORD = {
    # /v2/instagram/reels/search
    "datePosted": SearchOption("date_posted", ("last-hour", "last-day", "last-week", "last-month", "last-year")),
}
_YOUTUBE_SEARCH = {
    # /v1/youtube/search (a similar search runs the same search); `region` is the job's own field.
    "uploadDate": SearchOption("uploadDate", ("today", "this_week", "this_month", "this_year")),
    "sortBy": SearchOption("sortBy", ("relevance", "popular")),
    "duration": SearchOption("duration", ("under_3_min", "between_3_and_20_min", "over_20_min")),
}

OPTIONS: dict[tuple[str, str], dict[str, SearchOption]] = {
    ("TikTok", "keyword"): _TIKTOK_KEYWORD,
    ("TikTok", "similar"): {},  # /v1/tiktok/search/users takes only query and cursor
    ("Instagram", "keyword"): _INSTAGRAM_KEYWORD,
    ("Instagram", "similar"): {},  # /v1/instagram/profile takes only the handle
    ("YouTube", "keyword"): _YOUTUBE_SEARCH,
    ("YouTube", "similar"): _YOUTUBE_SEARCH,
}
MAX_KEYS = 20


def _documented_options() -> dict[str, Any]:
    """The OpenAPI schema of `searchParams`: every option of any platform with the values it takes there.

    Which options apply depends on the platform (the path) and the search type (the
    campaign's), which a body schema cannot say: each option's description names them.
    """
    properties: dict[str, Any] = {}
    for (platform, search_type), options in OPTIONS.items():
        for key, option in options.items():
            entry = properties.setdefault(key, {"type": "string", "enum": [], "description": "Applies to:"})
            entry["enum"].extend(v for v in option.values if v not in entry["enum"])
            entry["description"] += f" {platform} {search_type} ({', '.join(option.values)});"
    return {
        "properties": {
            key: {**entry, "description": entry["description"].rstrip(";")} for key, entry in properties.items()
        },
        "additionalProperties": False,
        "description": "Provider options; those of another platform or search type are refused (400)",
    }


SEARCH_PARAMS_SCHEMA: dict[str, Any] = _documented_options()


def clean_search_params(raw: Any, platform: str, search_type: str) -> dict[str, str] | None:
    """The options as stored in search_params (None when none were given); InvalidFields otherwise."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidFields([FieldError("searchParams", "must be an object")])
    allowed = OPTIONS[(platform, search_type)]
    problems: list[FieldError] = []
    cleaned: dict[str, str] = {}
    for key, value in list(raw.items())[:MAX_KEYS]:
        field = f"searchParams.{str(key)[:50]}"
        option = allowed.get(key)
        if option is None:
            known = ", ".join(allowed) or "none"
            message = f"is not an option of a {platform} {search_type} search (options: {known})"
            problems.append(FieldError(field, message))
        elif not isinstance(value, str) or value not in option.values:
            problems.append(FieldError(field, f"must be one of {', '.join(option.values)}"))
        else:
            cleaned[key] = value
    if len(raw) > MAX_KEYS:
        problems.append(FieldError("searchParams", f"must have at most {MAX_KEYS} keys"))
    if problems:
        raise InvalidFields(problems)
    return cleaned or None


def provider_params(options: Mapping[str, Any], platform: str, search_type: SearchType) -> dict[str, str]:
    """The provider's query parameters for a job's stored options (other keys, such as stopReason, are not options)."""
    allowed = OPTIONS[(platform, search_type)]
    return {
        option.provider_param: value
        for key, option in allowed.items()
        if isinstance(value := options.get(key), str) and value in option.values
    }
