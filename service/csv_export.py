"""CSV for the creators export: one chunk per batch of rows, safe to open in a spreadsheet.

Scraped text is untrusted (OWASP "CSV injection"). Every cell is quoted, so a
separator inside a cell (`,` or, in locales that split on it, `;`) never starts
a new cell. A cell a spreadsheet could read as a formula gets a leading
apostrophe, so it is shown as text and never evaluated: one that starts (after
blanks) with `=`, `+`, `-`, `@`, a tab, a carriage return or a line feed, or
with their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), and one in which such a
character follows a separator, a quote or a line break (`x;=2+5`).

A complete export ends with a CRLF after its last row; an export cut short
(the database failed half-way) is aborted instead, so the HTTP client sees an
incomplete chunked body rather than a clean end (see service/api/streams.py).
"""

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

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
CAMPAIGN_COLUMNS = (*COLUMNS, "status", "note")
"""A campaign's creators: the job export's columns and the brand's status and note."""
FORMULA_CHARACTERS = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
# A formula character at the start of the cell (after blanks), or after anything
# a spreadsheet may take for the start of a new cell.
_FORMULA = re.compile(f"(?:^|[,;|\"'\\t\\r\\n])[ \u3000]*[{re.escape(FORMULA_CHARACTERS)}]")


def neutralise(text: str) -> str:
    """`text`, with a leading apostrophe when a spreadsheet could evaluate some of it."""
    return "'" + text if _FORMULA.search(text) else text


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def csv_lines(rows: Iterable[Iterable[Any]]) -> bytes:
    """CSV lines of `rows` (each the cells in COLUMNS order): every cell quoted, CRLF line ends (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def csv_chunk(rows: Iterable[object], columns: tuple[str, ...] = COLUMNS) -> bytes:
    """The CSV lines of `rows`, objects with an attribute per column (the export query's rows)."""
    return csv_lines([getattr(row, column) for column in columns] for row in rows)


def csv_header(columns: tuple[str, ...] = COLUMNS) -> bytes:
    """The column names: fixed text, so left unquoted (readers that match on `platform,handle,...` keep working)."""
    return (",".join(columns) + "\r\n").encode()
