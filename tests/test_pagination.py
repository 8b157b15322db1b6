"""The keyset cursor and page arithmetic, without HTTP."""

import base64
import uuid
from datetime import UTC, datetime

import pytest

from service.errors import InvalidInput
from service.pagination import KeysetCursor, decode_cursor, encode_cursor, page_count

CURSOR = KeysetCursor(
    created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    id=uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
    page=3,
)


def test_cursor_round_trip_keeps_microseconds() -> None:
    text = encode_cursor(CURSOR)
    assert "=" not in text
    assert decode_cursor(text) == CURSOR


@pytest.mark.parametrize(
    "text",
    [
        "not-a-cursor!",
        base64.urlsafe_b64encode(b'["2026-01-02T03:04:05", "550e8400-e29b-41d4-a716-446655440000", 2]').decode(),
        base64.urlsafe_b64encode(b'["2026-01-02T03:04:05Z", "nope", 2]').decode(),
        base64.urlsafe_b64encode(b'["2026-01-02T03:04:05Z", "550e8400-e29b-41d4-a716-446655440000", 0]').decode(),
        base64.urlsafe_b64encode(b'{"page": 2}').decode(),
    ],
)
def test_malformed_cursors_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(text)
    assert raised.value.field == "cursor"


@pytest.mark.parametrize(("total", "limit", "pages"), [(0, 12, 0), (1, 12, 1), (12, 12, 1), (13, 12, 2), (100, 1, 100)])
def test_page_count(total: int, limit: int, pages: int) -> None:
    assert page_count(total, limit) == pages
