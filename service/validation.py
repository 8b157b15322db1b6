"""Input rules that msgspec constraints cannot express (they need trimming first)."""

from uuid import UUID

from service.errors import InvalidInput


def clean_text(value: str, field: str, *, max_length: int) -> str:
    """`value` trimmed; InvalidInput when it is empty or longer than max_length after trimming."""
    text = value.strip()
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


def clean_optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    """Like clean_text, but a missing or blank value becomes None."""
    if value is None or not value.strip():
        return None
    return clean_text(value, field, max_length=max_length)


def parse_id(value: str, field: str = "id") -> UUID:
    """A resource id from a path segment; InvalidInput unless it is a UUID."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(field, "must be a UUID") from None
