"""Response shapes shared by several resources.

PostgreSQL builds these objects (see the *_json functions in migrations/) and
the service passes its JSON text through; the Structs here document the shapes
in the OpenAPI schema, and tests decode responses with them to keep both in step.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import MediaType, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from service.enumerations import CampaignStatus, JobStatus, Platform, SearchType
from service.errors import ErrorBody

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
    created_at: datetime
    updated_at: datetime


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
    timeout_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


class Result(Shape):
    id: UUID
    job_id: UUID
    creators: list[dict[str, Any]]
    created_at: datetime


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
    return {status: ResponseSpec(data_container=shape, description=description)}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error responses a route can give (401 and 503 always)."""
    codes = sorted({401, 503, *statuses})
    return {code: ResponseSpec(data_container=ErrorBody, description=_ERROR_DESCRIPTIONS[code]) for code in codes}
