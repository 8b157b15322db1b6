"""CSV for the creators export: one chunk per batch of rows, safe to open in a spreadsheet.

Scraped text is untrusted. A cell that a spreadsheet would read as a formula
(starting with =, +, -, @, a tab or a carriage return) gets a leading
apostrophe, so it is shown as text and never evaluated.
"""

import csv
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import asyncpg

COLUMNS = (
    "platform",
    "handle",
    "name",
    "followers",
    "engagement_rate",
    "emails",
    "bio",
    "avatar_url",
    "video_url",
    "video_description",
    "likes",
    "comments",
    "shares",
    "views",
    "hashtags",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def csv_chunk(rows: Iterable[Mapping[str, Any] | asyncpg.Record]) -> bytes:
    """The CSV lines of `rows` (quoted where needed, CRLF line ends, as RFC 4180 says)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([cell(row[column]) for column in COLUMNS])
    return out.getvalue().encode()


def csv_header() -> bytes:
    return csv_chunk([dict(zip(COLUMNS, COLUMNS, strict=True))])
