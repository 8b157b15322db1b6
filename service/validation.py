"""Input rules: the limits of every field, stated once, and the cleaning msgspec cannot do.

The Annotated types below carry each limit as a msgspec constraint: msgspec
enforces it when it decodes a body (a 400 naming the field), and the OpenAPI
document states it from the same constraint (see service/openapi_document.py),
so the two cannot disagree. JSON Schema patterns are searched, not anchored,
as msgspec's are, hence the anchors.

The functions trim, fold and check what constraints cannot express; each
returns the cleaned value or raises InvalidInput naming the field, so every
refusal is a 400 with field details before any database work.
"""

import re
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final
from uuid import UUID

import msgspec
from litestar import Request

from service.enumerations import PLATFORM_BY_SLUG, Platform
from service.errors import InvalidInput

# What is blank, and trimmed from around a text: Python's whitespace (str.isspace) and the byte order
# mark. Patterns spell the set out: `\s` is another set in Python than in JavaScript, whose regular
# expressions JSON Schema patterns are (tests/test_openapi.py runs every pattern in both).
_BLANK_RANGES: Final = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# (Python's whitespace all lies below U+3001: tests/test_openapi.py checks every code point.)
BLANKS: Final = "".join(filter(str.isspace, map(chr, range(0x3001)))) + "\ufeff"
BLANK: Final = f"[{_BLANK_RANGES}]"
# PostgreSQL text cannot hold NUL (U+0000), so no stored text may contain it.
NO_NUL: Final = r"^[^\x00]*$"
NOT_BLANK: Final = rf"^[^\x00]*[^{_BLANK_RANGES}\x00][^\x00]*$"

CAMPAIGN_NAME_MAX: Final = 100
CAMPAIGN_DESCRIPTION_MAX: Final = 500
PERSON_NAME_MAX: Final = 100
BRAND_DESCRIPTION_MAX: Final = 2000
KEYWORDS_MAX: Final = 20
KEYWORD_MAX_LENGTH: Final = 100
USERNAME_MAX: Final = 100
TARGET_RESULTS_MAX: Final = 10_000
HASHTAG_MAX: Final = 100

# A handle: ASCII letters, digits, _ . and - (as the platforms' handles are).
_HANDLE: Final = rf"[A-Za-z0-9_.-]{{1,{USERNAME_MAX}}}"
USERNAME_PATTERN = re.compile(_HANDLE)
REGION_PATTERN = re.compile(r"[A-Za-z]{2}")
# A hashtag, # optional: "#fyp", "fyp", " #fyp "; not "#", "##x" or blank.
HASHTAG_RULE: Final = rf"^{BLANK}*#?[^{_BLANK_RANGES}#\x00][^\x00]*$"


def _text(max_length: int, description: str) -> msgspec.Meta:
    """A required text: not blank, at most max_length characters (trimmed before use)."""
    return msgspec.Meta(min_length=1, max_length=max_length, pattern=NOT_BLANK, description=description)


CampaignName = Annotated[str, _text(CAMPAIGN_NAME_MAX, "Trimmed before it is stored")]
CampaignDescription = Annotated[
    str, msgspec.Meta(max_length=CAMPAIGN_DESCRIPTION_MAX, pattern=NO_NUL, description="Trimmed; blank means none")
]
# A name goes into an email header: no control characters or line breaks (see has_control_characters),
# except the blanks around it, which are trimmed.
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
PersonName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=PERSON_NAME_MAX,
        pattern=rf"^{BLANK}*[^{_CONTROL}]*[^{_BLANK_RANGES}{_CONTROL}][^{_CONTROL}]*{BLANK}*$",
        description="Trimmed; no control characters or line breaks (it goes into email headers)",
    ),
]
BrandDescription = Annotated[str, _text(BRAND_DESCRIPTION_MAX, "Trimmed before it is stored")]
Keyword = Annotated[str, msgspec.Meta(max_length=KEYWORD_MAX_LENGTH, pattern=NO_NUL)]
Keywords = Annotated[
    list[Keyword],
    msgspec.Meta(
        max_length=KEYWORDS_MAX,
        description="Trimmed; blank ones are dropped and repeats (ignoring case) count once; at least one not blank",
        # Checked by clean_keywords (msgspec has no "contains").
        extra_json_schema={"contains": {"type": "string", "pattern": NOT_BLANK}},
    ),
]
Username = Annotated[
    str,
    msgspec.Meta(
        pattern=rf"^{BLANK}*@?{_HANDLE}{BLANK}*$",
        description="A creator's handle, with or without its leading @ (trimmed)",
    ),
]
Region = Annotated[
    str,
    msgspec.Meta(
        pattern=rf"^{BLANK}*[A-Za-z]{{2}}{BLANK}*$", description="Two-letter country code (ISO 3166-1), such as US"
    ),
]
TargetResults = Annotated[int, msgspec.Meta(ge=1, le=TARGET_RESULTS_MAX)]


def clean_text(value: str, field: str, *, max_length: int) -> str:
    """`value` trimmed; InvalidInput when it is empty or longer than max_length after trimming."""
    text = value.strip(BLANKS)
    if not text:
        raise InvalidInput(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidInput(field, f"must be at most {max_length} characters")
    return text


HEADER_UNSAFE = "\u2028\u2029\u0085"
"""Line breaks beyond the ASCII control characters (Cc) that mail software may fold a header on."""
EMAIL_MAX_LENGTH = 254


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" or c in HEADER_UNSAFE for c in text)


def clean_header_text(value: str, field: str, *, max_length: int) -> str:
    """Like clean_text, for text that ends up in an email header (a name): no control characters,
    so it cannot add a header or break the message."""
    text = clean_text(value, field, max_length=max_length)
    if has_control_characters(text):
        raise InvalidInput(field, "must not contain control characters or line breaks")
    return text


def clean_email_address(value: str, field: str = "email") -> str:
    """An address for the To header: one @, no blanks or control characters."""
    address = value.strip(BLANKS)
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(address) > EMAIL_MAX_LENGTH
        or has_control_characters(address)
        or any(c.isspace() for c in address)
    ):
        raise InvalidInput(field, "must be an email address such as ann@example.com, without line breaks")
    return address


def clean_optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    """Like clean_text, but a missing or blank value becomes None."""
    if value is None or not value.strip(BLANKS):
        return None
    return clean_text(value, field, max_length=max_length)


def parse_id(value: str, field: str = "id") -> UUID:
    """A resource id from a path segment; InvalidInput unless it is a UUID."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(field, "must be a UUID") from None


def clean_keywords(raw: list[str]) -> list[str]:
    """Trimmed keywords without blanks or repeats (ignoring case); 1-20 of 1-100 characters."""
    keywords: list[str] = []
    seen: set[str] = set()
    for word in (w.strip(BLANKS) for w in raw):
        if not word:
            continue
        if len(word) > KEYWORD_MAX_LENGTH:
            raise InvalidInput("keywords", f"each keyword must be at most {KEYWORD_MAX_LENGTH} characters")
        if word.casefold() not in seen:
            seen.add(word.casefold())
            keywords.append(word)
    if not keywords:
        raise InvalidInput("keywords", "must contain at least one keyword")
    if len(keywords) > KEYWORDS_MAX:
        raise InvalidInput("keywords", f"must contain at most {KEYWORDS_MAX} keywords")
    return keywords


def clean_username(raw: str) -> str:
    """A creator handle without its leading @."""
    name = raw.strip(BLANKS).removeprefix("@")
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidInput("targetUsername", "must be a handle of 1-100 letters, digits, '.', '_' or '-'")
    return name


def clean_region(raw: str) -> str:
    region = raw.strip(BLANKS)
    if not REGION_PATTERN.fullmatch(region):
        raise InvalidInput("region", "must be a two-letter country code such as US")
    return region.upper()


def normalised_hashtag(text: str) -> str:
    """`Summer`, `#summer` -> `#Summer` / `#summer` (the stored hashtags carry their #)."""
    tag = text.strip(BLANKS)
    if not tag.removeprefix("#"):
        raise InvalidInput("hashtag", "must not be empty")
    return tag if tag.startswith("#") else f"#{tag}"


def checked_choice(value: str, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(field, f"must be one of {', '.join(allowed)}")
    return value


def platform_name(value: str) -> Platform:
    """`TikTok`, `tiktok` or `TIKTOK` -> `TikTok`."""
    for slug, name in PLATFORM_BY_SLUG.items():
        if value.lower() == slug:
            return name
    raise InvalidInput("platform", f"must be one of {', '.join(PLATFORM_BY_SLUG.values())}")


def parse_instant(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is UTC. A bare date means the
    start of that day, or its end with `end_of_day` (so that `createdTo=2026-01-31` includes the 31st)."""
    text = value.strip(BLANKS)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        instant = datetime.fromisoformat(re.sub("[Zz]$", "+00:00", text))  # RFC 3339 allows a lowercase z
    except ValueError:
        raise InvalidInput(field, "must be an ISO 8601 date or date-time, such as 2026-01-31T12:00:00Z") from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def search_of(keywords: list[str] | None, target_username: str | None) -> tuple[str, list[str] | None, str | None]:
    """The search type a job body asks for ("keyword" or "similar"), with its cleaned keywords or username."""
    has_keywords = keywords is not None and any(w.strip(BLANKS) for w in keywords)
    has_username = target_username is not None and bool(target_username.strip(BLANKS))
    if has_keywords and has_username:
        raise InvalidInput("body", "must give keywords or targetUsername, not both")
    if has_username:
        return "similar", None, clean_username(target_username or "")
    if keywords is None:
        raise InvalidInput("body", "must give keywords (keyword campaigns) or targetUsername (similar campaigns)")
    return "keyword", clean_keywords(keywords), None


def requested_username(target_username: str | None, username: str | None) -> str | None:
    """The similar search's handle: `targetUsername`, or `username` (the old frontend's name for it)."""
    if target_username is not None and username is not None:
        raise InvalidInput("username", "give targetUsername or username (another name for it), not both")
    return target_username if target_username is not None else username


# The methods whose body is read (for the check below) before any handler runs.
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
# PostgreSQL's text and jsonb cannot hold U+0000; refused here rather than by the database.
UNSTORABLE = "\x00"
_UNSTORABLE_JSON = b"\\u0000"
UNSTORABLE_MESSAGE = "must not contain the NUL character (U+0000)"


def unstorable_field(value: Any, path: str = "") -> str | None:
    """The path (`fullName`, `keywords[2]`, `a.b`) of the first string in `value` that PostgreSQL cannot store."""
    if isinstance(value, str):
        return path or "body" if UNSTORABLE in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if UNSTORABLE in str(key):
                return path or "body"
            if found := unstorable_field(item, name):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := unstorable_field(item, f"{path}[{index}]"):
                return found
    return None


async def refuse_unstorable_text(request: Request[Any, Any, Any]) -> None:
    """Every route's first step (before_request): a 400 naming the field when any text input (query,
    path or JSON body) holds a character PostgreSQL cannot store, before any database work."""
    for name, value in request.query_params.multi_items():
        if UNSTORABLE in name or UNSTORABLE in value:
            raise InvalidInput(name.replace(UNSTORABLE, ""), UNSTORABLE_MESSAGE)
    for name, value in request.path_params.items():
        if isinstance(value, str) and UNSTORABLE in value:
            raise InvalidInput(name, UNSTORABLE_MESSAGE)
    if request.method in BODY_METHODS and _UNSTORABLE_JSON in (body := await request.body()):
        try:
            document = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # not JSON: the route's own decoding answers 400
        if field := unstorable_field(document):
            raise InvalidInput(field, UNSTORABLE_MESSAGE)
