"""Scraping jobs: read a job with its results, list and search them, cancel one, follow it live, export it."""

from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent

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
from service.api.shapes import Job, PageNumber, PageSize, documented, errors, json_response
from service.api.streams import CreatorFilters, job_creators_csv, job_events
from service.auth import AuthRequest, admin_only
from service.cleanup import delete_finished_jobs
from service.database import connection, queries
from service.enumerations import JobStatus
from service.errors import Conflict, InvalidInput
from service.pagination import CreatorCursor, decode_creator_cursor, encode_token, page_count
from service.validation import (
    KEYWORD_MAX_LENGTH,
    checked_choice,
    clean_text,
    normalised_hashtag,
    parse_id,
    parse_instant,
    platform_name,
)

SORT_COLUMNS = ("createdAt", "updatedAt", "processedResults", "progress")
SORT_ORDERS = ("asc", "desc")


async def job_detail(state: State, user_id: str, job_id: UUID) -> Response[bytes]:
    async with connection(state) as db:
        found = await queries.get_job_detail(db, user_id=user_id, job_id=job_id)
    if found is None:
        raise NotFoundException("Job not found")
    return json_response(found)


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads these class attributes)

    @get("/", responses={**documented(200, JobPage, "A page of jobs"), **errors(400)})
    async def list_jobs(
        self,
        request: AuthRequest,
        state: State,
        status: Annotated[JobStatus | None, QueryParameter(description="Only jobs in this status")] = None,
        platform: Annotated[str | None, QueryParameter(description="TikTok, Instagram or YouTube")] = None,
        campaign_id: Annotated[str | None, QueryParameter(name="campaignId")] = None,
        created_from: Annotated[str | None, QueryParameter(name="createdFrom", description="ISO 8601")] = None,
        created_to: Annotated[str | None, QueryParameter(name="createdTo", description="ISO 8601, inclusive")] = None,
        sort_by: Annotated[str, QueryParameter(name="sortBy", description=", ".join(SORT_COLUMNS))] = "createdAt",
        sort_order: Annotated[str, QueryParameter(name="sortOrder", description="asc or desc")] = "desc",
        page: PageNumber = 1,
        limit: PageSize = 20,
    ) -> JobPageOut:
        """The caller's jobs, filtered and sorted, with the total of matching jobs."""
        since = parse_instant(created_from, "createdFrom") if created_from else None
        until = parse_instant(created_to, "createdTo", end_of_day=True) if created_to else None
        if since and until and since > until:
            raise InvalidInput("createdFrom", "must not be after createdTo")
        async with connection(state) as db:
            row = await queries.list_jobs_page(
                db,
                user_id=request.user.user_id,
                status=status,
                platform=platform_name(platform) if platform else None,
                campaign_id=parse_id(campaign_id, "campaignId") if campaign_id else None,
                created_from=since,
                created_to=until,
                sort_by=checked_choice(sort_by, "sortBy", SORT_COLUMNS),
                descending=checked_choice(sort_order, "sortOrder", SORT_ORDERS) == "desc",
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
        keyword: Annotated[str, QueryParameter(max_length=1_000, description="One keyword; case is ignored")],
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
    async def get_job(self, request: AuthRequest, state: State, job_id: FromPath[str]) -> Response[bytes]:
        """A job with its result pages and their aggregations."""
        return await job_detail(state, request.user.user_id, parse_id(job_id))

    @patch("/{job_id:str}", responses={**documented(200, Job, "The cancelled job"), **errors(400, 404, 409)})
    async def cancel_job(
        self, request: AuthRequest, state: State, job_id: FromPath[str], data: JSONBody[JobAction]
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
            **documented(200, CreatorPage, "A page of creators, or with format=csv all of them as text/csv"),
            **errors(400, 404, 429),
        },
    )
    async def job_creators(
        self,
        request: AuthRequest,
        state: State,
        job_id: FromPath[str],
        min_followers: Annotated[int | None, QueryParameter(name="minFollowers", ge=0)] = None,
        max_followers: Annotated[int | None, QueryParameter(name="maxFollowers", ge=0)] = None,
        has_email: Annotated[bool | None, QueryParameter(name="hasEmail")] = None,
        hashtag: Annotated[str | None, QueryParameter(max_length=100, description="With or without #")] = None,
        sort: Annotated[Literal["followers", "engagement"], QueryParameter(description="Highest first")] = "followers",
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Creators per page (default 50)")] = 50,
        cursor: Annotated[str | None, QueryParameter(description="pagination: the previous nextCursor")] = None,
        format: Annotated[Literal["json", "csv"], QueryParameter(description="csv: the whole list")] = "json",
    ) -> Response[Any]:
        """A job's creators, once each, with `engagementRate`; filtered, sorted, and paged or exported as CSV.

        Engagement rate is (likes + comments + shares) / views of the creator's video (0 without views).
        """
        job = parse_id(job_id)
        filters = CreatorFilters(
            min_followers=min_followers,
            max_followers=max_followers,
            has_email=has_email,
            hashtag=normalised_hashtag(hashtag) if hashtag is not None else None,
        )
        if format == "csv":
            return await job_creators_csv(state, request.user.user_id, job, filters, sort)
        after = decode_creator_cursor(cursor, sort) if cursor else None
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
        "/{job_id:str}/events",
        responses={
            **documented(200, Job, "text/event-stream of `progress` events, each carrying the job"),
            **errors(400, 404, 429),
        },
    )
    async def job_events(self, request: AuthRequest, state: State, job_id: FromPath[str]) -> ServerSentEvent:
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
