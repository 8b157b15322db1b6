"""What the job routes take and give: request bodies and the response shapes PostgreSQL builds."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from service.api.shapes import Job, Result, Shape
from service.enumerations import FinishedJobStatus

RawText = Annotated[str, msgspec.Meta(max_length=1_000)]


class JobCreate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    campaign_id: RawText
    keywords: Annotated[list[RawText], msgspec.Meta(max_length=200)] | None = None
    target_username: RawText | None = None
    username: RawText | None = None  # the old frontend's name for targetUsername
    target_results: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    region: RawText = "US"
    # Provider options, validated per platform and search type (service/search_options.py).
    search_params: dict[str, Any] | None = None


class JobStarted(Job):
    job_id: UUID  # the same as id (the old frontend reads jobId)
    message: str


class JobAction(msgspec.Struct, forbid_unknown_fields=True):
    action: str


class CleanupRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: FinishedJobStatus
    older_than_days: Annotated[int, msgspec.Meta(ge=0, le=36_500)]


class CleanupReport(Shape):
    deleted_jobs: int
    deleted_results: int
    cutoff_date: datetime


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
    creators: list[dict[str, Any]]
    next_cursor: str | None


class CreatorPageOut(msgspec.Struct, rename="camel"):
    """CreatorPage as sent: the creators array is PostgreSQL's JSON text."""

    creators: msgspec.Raw
    next_cursor: str | None
