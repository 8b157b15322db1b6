"""What the job routes take and give: request bodies and the response shapes PostgreSQL builds."""

from typing import Annotated, Any, ClassVar
from uuid import UUID

import msgspec

from service.api.shapes import CreatorWithEngagementItem, Instant, Job, Result, Shape
from service.enumerations import FinishedJobStatus
from service.search_options import SEARCH_PARAMS_SCHEMA
from service.validation import Keywords, Region, TargetResults, Username


class JobCreate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A search: `keywords` in a keyword campaign, or `targetUsername` (or `username`) in a similar one."""

    # Exactly one kind, said without oneOf, which client generators read as a union of bodies.
    json_schema_extra: ClassVar[dict[str, Any]] = {
        "not": {
            "anyOf": [
                {"required": ["keywords", "targetUsername"]},
                {"required": ["keywords", "username"]},
                {"required": ["targetUsername", "username"]},
            ]
        },
        "if": {"not": {"required": ["keywords"]}},
        "then": {"anyOf": [{"required": ["targetUsername"]}, {"required": ["username"]}]},
    }
    campaign_id: UUID
    keywords: Keywords | msgspec.UnsetType = msgspec.UNSET
    target_username: Username | msgspec.UnsetType = msgspec.UNSET
    username: Username | msgspec.UnsetType = msgspec.UNSET  # the old frontend's name for targetUsername
    target_results: TargetResults = 1000
    region: Region = "US"
    # Provider options, validated per platform and search type (service/search_options.py).
    search_params: Annotated[dict[str, Any], msgspec.Meta(extra_json_schema=SEARCH_PARAMS_SCHEMA)] | None = None


class JobStarted(Job):
    job_id: UUID  # the same as id (the old frontend reads jobId)
    message: str


class JobAction(msgspec.Struct, forbid_unknown_fields=True):
    # Any other action is refused by the handler, with the contract's message ("Invalid action").
    action: Annotated[str, msgspec.Meta(extra_json_schema={"enum": ["cancel"]})]


class CleanupRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: FinishedJobStatus
    older_than_days: Annotated[int, msgspec.Meta(ge=0, le=36_500)]


class CleanupReport(Shape):
    deleted_jobs: int
    deleted_results: int
    cutoff_date: Instant


class Aggregations(Shape):
    total_results: int
    total_creators: int
    average_creators_per_result: float


class JobDetail(Job):
    results: list[Result]
    aggregations: Aggregations


class JobPagination(Shape):
    total: int
    pages: int
    current_page: int
    limit: int


class JobPage(Shape):
    jobs: list[Job]
    pagination: JobPagination


class JobPageOut(msgspec.Struct):
    """JobPage as sent: the jobs array is PostgreSQL's JSON text."""

    jobs: msgspec.Raw
    pagination: JobPagination


class JobList(Shape):
    jobs: list[Job]


class JobStats(Shape):
    avg_results: float
    total_results: int
    max_results: int
    by_status: dict[str, int]
    by_platform: dict[str, int]


class CreatorPage(Shape):
    creators: list[CreatorWithEngagementItem]
    next_cursor: str | None


class CreatorPageOut(msgspec.Struct, rename="camel"):
    """CreatorPage as sent: the creators array is PostgreSQL's JSON text."""

    creators: msgspec.Raw
    next_cursor: str | None
