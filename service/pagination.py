"""Page arithmetic and the opaque keyset cursors of listings."""

import base64
import binascii
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeVar, get_args
from uuid import UUID

import msgspec

from service.errors import InvalidInput

MALFORMED = "is malformed; pass back a nextCursor value unchanged"
# The OpenAPI `format` of each kind of cursor: a value only the server makes (see encode_token).
KEYSET_CURSOR_FORMAT = "keyset-cursor"
CREATOR_CURSOR_FORMAT = "creator-cursor"
T = TypeVar("T", bound=msgspec.Struct)


def encode_token(position: msgspec.Struct) -> str:
    """A position as an opaque URL-safe string."""
    return base64.urlsafe_b64encode(msgspec.json.encode(position)).rstrip(b"=").decode()


def decode_token(text: str, kind: type[T], field: str = "cursor") -> T:
    """The position encode_token made; InvalidInput for anything else."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return msgspec.json.decode(raw, type=kind)
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise InvalidInput(field, MALFORMED) from exc


class KeysetCursor(msgspec.Struct, array_like=True, frozen=True):
    """Position after the last row of a newest-first page: its (created_at, id) and the next page's number."""

    created_at: datetime
    id: UUID
    page: int


CreatorOrder = Literal["followers", "engagement"]


class CreatorCursor(msgspec.Struct, array_like=True, frozen=True):
    """Position after the last creator of a page: the sort, its value there (exact, as text) and the creator key.

    A cursor continues the order it was made for, whatever `sort` the next request gives.
    """

    sort: str
    value: str
    key: str

    @property
    def number(self) -> Decimal:
        return Decimal(self.value)


def encode_cursor(cursor: KeysetCursor) -> str:
    return encode_token(cursor)


def decode_cursor(text: str, field: str = "cursor") -> KeysetCursor:
    """Parse a cursor produced by encode_cursor; InvalidInput for anything else."""
    cursor = decode_token(text, KeysetCursor, field)
    if cursor.created_at.tzinfo is None or cursor.page < 1:
        raise InvalidInput(field, MALFORMED)
    return cursor


def decode_creator_cursor(text: str, field: str = "cursor") -> tuple[CreatorOrder, CreatorCursor]:
    """A job's creators cursor made by encode_token, with the order it continues; InvalidInput otherwise."""
    cursor = decode_token(text, CreatorCursor, field)
    try:
        cursor.number  # noqa: B018 (validates the value)
    except InvalidOperation:
        raise InvalidInput(field, MALFORMED) from None
    for order in get_args(CreatorOrder):
        if cursor.sort == order:
            return order, cursor
    raise InvalidInput(field, MALFORMED)


def page_count(total: int, limit: int) -> int:
    """Number of pages of `limit` rows needed for `total` rows."""
    return -(-total // limit)
