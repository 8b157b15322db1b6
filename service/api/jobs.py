"""Scraping jobs: read a job with its results, list and search them, cancel one, follow it live, export it."""

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.response import ServerSentEvent, Stream

from service.api.job_shapes import (
    CleanupReport,
    CleanupRequest,
    CreatorPage,
    CreatorPageOut,
    JobAction,
    JobDetail,
    JobList,
    JobPage,
    JobPageOut,
    JobPagination,
    JobStats,
)
from service.api.shapes import (
    HasEmail,
    Hashtag,
    Job,
    MaxFollowers,
    MinFollowers,
    PageNumber,
    PageSize,
    ResourceId,
    csv_columns,
    csv_download,
    documented,
    errors,
    json_response,
)
from service.api.streams import KEEP_ALIVE_SECONDS, CreatorFilters, job_creators_csv, job_events
from service.auth import AuthRequest, admin_only
from service.cleanup import delete_finished_jobs
from service.csv_export import COLUMNS
from service.database import connection, queries
from service.enumerations import JobStatus, Platform, PlatformSlug
from service.errors import Conflict
from service.openapi_document import EXTRA_CONTENT, ITEM_SCHEMA
from service.pagination import (
    CREATOR_CURSOR_FORMAT,
    CreatorCursor,
    CreatorOrder,
    decode_creator_cursor,
    encode_token,
    page_count,
)
from service.validation import (
    KEYWORD_MAX_LENGTH,
    NOT_BLANK,
    clean_text,
    normalised_hashtag,
    parse_id,
    parse_instant,
    platform_name,
)

SortColumn = Literal["createdAt", "updatedAt", "processedResults", "progress"]
INSTANT_NOTE = (
    "An RFC 3339 date (a whole UTC day) or date-time; the server also takes a date-time without offset, as UTC"
)
# An ISO 8601 date or date-time (see parse_instant).
INSTANT = {"anyOf": [{"format": "date"}, {"format": "date-time"}]}


CreatorSort = Annotated[
    CreatorOrder, QueryParameter(description="Highest first (with a cursor: the order the cursor was made for)")
]


def creator_filters(
    min_followers: MinFollowers = None,
    max_followers: MaxFollowers = None,
    has_email: HasEmail = None,
    hashtag: Hashtag = None,
) -> CreatorFilters:
    """The filters of a job's creators (a dependency of the creators routes)."""
    return CreatorFilters(
        min_followers=min_followers,
        max_followers=max_followers,
        has_email=has_email,
        hashtag=normalised_hashtag(hashtag) if hashtag is not None else None,
    )


async def job_detail(state: State, user_id: str, job_id: UUID) -> Response[bytes]:
    async with connection(state) as db:
        found = await queries.get_job_detail(db, user_id=user_id, job_id=job_id)
    if found is None:
        raise NotFoundException("Job not found")
    return json_response(found)


CSV_ORDER = "in the order of `sort`"
EVENTS_DESCRIPTION = (
    "A text/event-stream (server-sent events). Each change of the job is an event named `progress` whose "
    "`data` is the job as JSON (the `Job` schema); the first event comes at once. A comment line "
    f"(`: keep-alive`) is sent every {KEEP_ALIVE_SECONDS:g} s or so while nothing changes. The stream "
    "ends after the event that shows the job finished (status completed, error, cancelled or timeout)."
)
# Each event's shape is OpenAPI 3.2's `itemSchema`; 3.1, which this document is (and what Swagger UI
# and client generators read), has no field for it, so it goes in the extension ITEM_SCHEMA. `schema`,
# the whole stream, stays open so that generators read the stream as text.
EVENTS_CONTENT = {
    "schema": {"description": f"The event stream as text; each event is described by {ITEM_SCHEMA}"},
    ITEM_SCHEMA: {
        "type": "object",
        "properties": {
            "event": {"type": "string", "enum": ["progress"]},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": "#/components/schemas/Job"},
            },
        },
        "required": ["event", "data"],
    },
}


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads these class attributes)
    # The creators' filters, for the routes that take them (the page and the CSV).
    dependencies = {"filters": Provide(creator_filters, sync_to_thread=False)}  # noqa: RUF012

    @get("/", responses={**documented(200, JobPage, "A page of jobs"), **errors(400)})
    async def list_jobs(
        self,
        request: AuthRequest,
        state: State,
        status: Annotated[JobStatus | None, QueryParameter(description="Only jobs in this status")] = None,
        platform: Annotated[
            Platform | PlatformSlug | None, QueryParameter(description="Only jobs on this platform")
        ] = None,
        campaign_id: Annotated[UUID | None, QueryParameter(name="campaignId")] = None,
        created_from: Annotated[
            str | None,
            QueryParameter(
                name="createdFrom", description=f"Created at or after this. {INSTANT_NOTE}", schema_extra=INSTANT
            ),
        ] = None,
        created_to: Annotated[
            str | None,
            QueryParameter(
                name="createdTo", description=f"Created at or before this. {INSTANT_NOTE}", schema_extra=INSTANT
            ),
        ] = None,
        sort_by: Annotated[SortColumn, QueryParameter(name="sortBy")] = "createdAt",
        sort_order: Annotated[Literal["asc", "desc"], QueryParameter(name="sortOrder")] = "desc",
        page: PageNumber = 1,
        limit: PageSize = 20,
    ) -> JobPageOut:
        """The caller's jobs, filtered and sorted, with the total of matching jobs."""
        since = parse_instant(created_from, "createdFrom") if created_from is not None else None
        until = parse_instant(created_to, "createdTo", end_of_day=True) if created_to is not None else None
        async with connection(state) as db:
            row = await queries.list_jobs_page(
                db,
                user_id=request.user.user_id,
                status=status,
                platform=platform_name(platform) if platform else None,
                campaign_id=campaign_id,
                created_from=since,
                created_to=until,
                sort_by=sort_by,
                descending=sort_order == "desc",
                page_size=limit,
                skip=(page - 1) * limit,
            )
        pagination = JobPagination(total=row.total, pages=page_count(row.total, limit), current_page=page, limit=limit)
        return JobPageOut(jobs=msgspec.Raw(row.jobs.encode()), pagination=pagination)

    @get("/search", responses={**documented(200, JobList, "Matching jobs, newest first"), **errors(400)})
    async def search_jobs(
        self,
        request: AuthRequest,
        state: State,
        keyword: Annotated[
            str,
            QueryParameter(
                min_length=1,
                max_length=KEYWORD_MAX_LENGTH,
                pattern=NOT_BLANK,
                description="One keyword; case is ignored",
            ),
        ],
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="At most this many (default 20)")] = 20,
    ) -> Response[bytes]:
        """The caller's jobs that have `keyword` among their keywords (ignoring case), newest first."""
        word = clean_text(keyword, "keyword", max_length=KEYWORD_MAX_LENGTH)
        async with connection(state) as db:
            found = await queries.search_jobs_by_keyword(
                db, user_id=request.user.user_id, keyword=word, page_size=limit
            )
        return json_response(found)

    @get("/stats", responses={**documented(200, JobStats, "Statistics over the caller's jobs"), **errors()})
    async def job_stats(self, request: AuthRequest, state: State) -> Response[bytes]:
        """Average, total and largest processed results, and job counts by status and platform."""
        async with connection(state) as db:
            return json_response(await queries.job_stats(db, user_id=request.user.user_id))

    @get("/{job_id:str}", responses={**documented(200, JobDetail, "The job"), **errors(400, 404)})
    async def get_job(self, request: AuthRequest, state: State, job_id: ResourceId) -> Response[bytes]:
        """A job with its result pages and their aggregations."""
        return await job_detail(state, request.user.user_id, parse_id(job_id))

    @patch("/{job_id:str}", responses={**documented(200, Job, "The cancelled job"), **errors(400, 404, 409)})
    async def cancel_job(
        self, request: AuthRequest, state: State, job_id: ResourceId, data: JSONBody[JobAction]
    ) -> Response[bytes]:
        """`{"action": "cancel"}` stops an unfinished job; nothing more is written to it."""
        job = parse_id(job_id)
        if data.action != "cancel":
            raise ClientException("Invalid action")
        async with connection(state) as db:
            row = await queries.cancel_job(db, user_id=request.user.user_id, job_id=job)
        if row is None:
            raise NotFoundException("Job not found")
        if row.job is None:
            raise Conflict(f"The job has already finished ({row.previous_status})")
        return json_response(row.job)

    @get(
        "/{job_id:str}/creators",
        responses={
            **documented(200, CreatorPage, "A page of creators (JSON), or with format=csv all of them (text/csv)"),
            **errors(400, 404, 429),
        },
        opt=csv_columns(COLUMNS, CSV_ORDER),
    )
    async def job_creators(
        self,
        request: AuthRequest,
        state: State,
        job_id: ResourceId,
        filters: NamedDependency[CreatorFilters],
        sort: CreatorSort = "followers",
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Creators per page (default 50)")] = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(
                format=CREATOR_CURSOR_FORMAT,
                description="The previous page's nextCursor (only a value it gave); it keeps that page's order",
            ),
        ] = None,
        format: Annotated[Literal["json", "csv"], QueryParameter(description="csv: the whole list")] = "json",
    ) -> Response[Any]:
        """A job's creators, once each, with `engagementRate`; filtered, sorted, and paged or exported as CSV.

        Engagement rate is (likes + comments + shares) / views of the creator's video (0 without views).
        """
        job = parse_id(job_id)
        if format == "csv":
            return await job_creators_csv(state, request.user.user_id, job, filters, sort)
        after = None
        if cursor:
            sort, after = decode_creator_cursor(cursor)  # a cursor continues the order it was made for
        async with connection(state) as db:
            row = await queries.list_job_creators_page(
                db,
                user_id=request.user.user_id,
                job_id=job,
                sort_by=sort,
                after_value=after.number if after else None,
                after_key=after.key if after else None,
                page_size=limit,
                **filters,
            )
        if row is None:
            raise NotFoundException("Job not found")
        next_cursor = (
            encode_token(CreatorCursor(sort=sort, value=str(row.last_value), key=row.last_key))
            if row.has_more and row.last_key is not None
            else None
        )
        return Response(CreatorPageOut(creators=msgspec.Raw(row.creators.encode()), next_cursor=next_cursor))

    @get(
        "/{job_id:str}/creators.csv",
        responses={
            **csv_download("All of a job's creators, filtered and sorted as on the creators page"),
            **errors(400, 404, 429),
        },
        opt=csv_columns(COLUMNS, CSV_ORDER),
    )
    async def export_creators(
        self,
        request: AuthRequest,
        state: State,
        filters: NamedDependency[CreatorFilters],
        job_id: ResourceId,
        sort: CreatorSort = "followers",
    ) -> Stream:
        """The CSV download of a job's creators (the same as the creators route with format=csv)."""
        return await job_creators_csv(state, request.user.user_id, parse_id(job_id), filters, sort)

    @get(
        "/{job_id:str}/events",
        responses={
            200: ResponseSpec(
                data_container=str,
                media_type="text/event-stream",
                description=EVENTS_DESCRIPTION,
                generate_examples=False,
            ),
            **errors(400, 404, 429),
        },
        opt={EXTRA_CONTENT: {200: {"text/event-stream": EVENTS_CONTENT}}},
    )
    async def job_events(self, request: AuthRequest, state: State, job_id: ResourceId) -> ServerSentEvent:
        """Server-sent events: the job each time it changes, ending once it has finished."""
        return await job_events(state, request.user.user_id, parse_id(job_id))

    @post(
        "/cleanup",
        guards=[admin_only],
        status_code=200,
        responses={**documented(200, CleanupReport, "What was deleted"), **errors(400, 403, 413)},
    )
    async def cleanup(self, state: State, data: JSONBody[CleanupRequest]) -> CleanupReport:
        """Delete finished jobs of one status older than some days, with their results (admin)."""
        totals = await delete_finished_jobs(state, data.status, data.older_than_days)
        return CleanupReport(
            deleted_jobs=totals.deleted_jobs, deleted_results=totals.deleted_results, cutoff_date=totals.cutoff_date
        )
