"""Response shapes shared by several resources.

PostgreSQL builds these objects (see the *_json functions in migrations/) and
the service passes its JSON text through; the Structs here document the shapes
in the OpenAPI schema, and tests decode responses with them to keep both in step.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import MediaType, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from service.enumerations import CampaignStatus, JobStatus, Platform, SearchType
from service.errors import ErrorBody
from service.openapi_document import EXTRA_CONTENT, document_also
from service.validation import HASHTAG_MAX, HASHTAG_RULE

# A moment as the API writes it: RFC 3339 with its offset (PostgreSQL's timestamptz), `format: date-time`.
Instant = Annotated[datetime, msgspec.Meta(tz=True)]

ResourceId = Annotated[str, PathParameter(format="uuid", description="A UUID (anything else: 400)")]
# The creator filters of a job's and a campaign's creators (page and CSV).
MinFollowers = Annotated[int | None, QueryParameter(name="minFollowers", ge=0)]
MaxFollowers = Annotated[int | None, QueryParameter(name="maxFollowers", ge=0)]
HasEmail = Annotated[bool | None, QueryParameter(name="hasEmail")]
Hashtag = Annotated[
    str | None, QueryParameter(max_length=HASHTAG_MAX, pattern=HASHTAG_RULE, description="With or without #")
]
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="Offset page, from 1")]
PageSize = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page (1-100)")]


class Shape(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of the response shapes: camelCase keys, nothing undocumented."""


class Campaign(Shape):
    id: UUID
    user_id: str
    name: str
    description: str | None
    search_type: SearchType
    status: CampaignStatus
    created_at: Instant
    updated_at: Instant


class Job(Shape):
    id: UUID
    user_id: str
    campaign_id: UUID
    keywords: list[str] | None
    target_username: str | None
    platform: Platform
    region: str
    target_results: int
    status: JobStatus
    run_id: str | None
    processed_runs: int
    processed_results: int
    progress: float
    cursor: int
    search_params: dict[str, Any] | None
    error: str | None
    timeout_at: Instant | None
    created_at: Instant
    started_at: Instant | None
    completed_at: Instant | None
    updated_at: Instant


class CreatorProfile(msgspec.Struct, rename="camel"):
    name: str
    handle: str
    followers: int
    avatar_url: str | None
    bio: str
    emails: list[str]


class VideoStatistics(msgspec.Struct):
    likes: int
    comments: int
    shares: int
    views: int


class Video(msgspec.Struct):
    description: str
    url: str | None
    statistics: VideoStatistics


class Creator(msgspec.Struct):
    """A creator as a provider found them, with the video that matched.

    Unlike the other shapes, creators may carry more keys than these (stored
    pages are kept as the provider's mapping wrote them).
    """

    creator: CreatorProfile
    video: Video
    hashtags: list[str]
    platform: Platform


class CreatorWithEngagement(Creator, rename="camel"):
    """A creator of a job's creators page: `engagementRate` is (likes + comments + shares) / views, 0 without views."""

    engagement_rate: float


def _or_legacy(shape: type[msgspec.Struct]) -> dict[str, Any]:
    """The JSON Schema of an object in `shape`, or as the old system stored it (rows adopted by migration)."""
    document_also(shape)
    legacy = {
        "type": "object",
        "title": f"Legacy{shape.__name__}",
        "description": "Found by the old system and adopted as it stored it; its keys vary",
    }
    return {"anyOf": [{"$ref": f"#/components/schemas/{shape.__name__}"}, legacy]}


# Creator objects are passed through as stored: those this service found have the typed
# shape; results adopted from the old system keep the keys it wrote (migrations 0010-0014).
CreatorItem = Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=_or_legacy(Creator))]
CreatorWithEngagementItem = Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=_or_legacy(CreatorWithEngagement))]
CreatorProfileItem = Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=_or_legacy(CreatorProfile))]
VideoItem = Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=_or_legacy(Video))]


class Result(Shape):
    id: UUID
    job_id: UUID
    creators: list[CreatorItem]
    created_at: Instant


class Message(Shape):
    message: str


def json_response(text: str, status_code: int = 200) -> Response[bytes]:
    """Pass JSON text built by PostgreSQL to the client without decoding it."""
    return Response(content=text.encode(), status_code=status_code, media_type=MediaType.JSON)


_ERROR_DESCRIPTIONS = {
    400: "Invalid input (wrong type, out of range, unknown value, malformed id or cursor)",
    401: "Missing or invalid bearer token",
    403: "Authenticated, but not allowed",
    404: "Not found, or not yours",
    409: "Conflict with the current state",
    413: "Request body too large",
    429: "Over a per-user limit; see Retry-After",
    503: "Database unavailable",
}


def documented(status: int, shape: type[msgspec.Struct], description: str) -> dict[int, ResponseSpec]:
    """OpenAPI entry for a success response whose body PostgreSQL builds."""
    return {status: ResponseSpec(data_container=shape, description=description, generate_examples=False)}


def csv_download(description: str) -> dict[int, ResponseSpec]:
    """OpenAPI entry for a 200 that is a CSV download (its columns: `csv_columns`)."""
    return {
        200: ResponseSpec(data_container=str, media_type="text/csv", description=description, generate_examples=False)
    }


def csv_columns(columns: Sequence[str], order: str) -> dict[str, Any]:
    """Route `opt` stating the columns of the route's CSV of creators, rows in `order`."""
    content = {
        "schema": {
            "type": "string",
            "description": f"UTF-8 CSV with a header row, then one row per creator, {order}. Columns: "
            + ", ".join(columns)
            + ". Every data cell is quoted (the header row is not); one a spreadsheet would read as a formula starts"
            + " with an apostrophe.",
        }
    }
    return {EXTRA_CONTENT: {200: {"text/csv": content}}}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error responses a route can give (401 and 503 always)."""
    codes = sorted({401, 503, *statuses})
    return {
        code: ResponseSpec(data_container=ErrorBody, description=_ERROR_DESCRIPTIONS[code], generate_examples=False)
        for code in codes
    }
