"""Page arithmetic and the opaque keyset cursor of newest-first listings."""

import base64
import binascii
from datetime import datetime
from uuid import UUID

import msgspec

from service.errors import InvalidInput


class KeysetCursor(msgspec.Struct, array_like=True, frozen=True):
    """Position after the last row of a page: its (created_at, id) and the next page's number."""

    created_at: datetime
    id: UUID
    page: int


def encode_cursor(cursor: KeysetCursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).rstrip(b"=").decode()


def decode_cursor(text: str, field: str = "cursor") -> KeysetCursor:
    """Parse a cursor produced by encode_cursor; InvalidInput for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = msgspec.json.decode(raw, type=KeysetCursor)
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise InvalidInput(field, "is malformed; pass back a nextCursor value unchanged") from exc
    if cursor.created_at.tzinfo is None or cursor.page < 1:
        raise InvalidInput(field, "is malformed; pass back a nextCursor value unchanged")
    return cursor


def page_count(total: int, limit: int) -> int:
    """Number of pages of `limit` rows needed for `total` rows."""
    return -(-total // limit)
