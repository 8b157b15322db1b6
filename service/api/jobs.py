"""Scraping jobs: launch a search, read a job with its results, cancel it, follow it live."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage, Stream
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from service.api.job_queries import (
    PLATFORM_NAMES,
    SORT_COLUMNS,
    SORT_ORDERS,
    checked_choice,
    parse_instant,
    platform_name,
)
from service.api.shapes import (
    Job,
    JobStatus,
    PageNumber,
    PageSize,
    Result,
    Shape,
    documented,
    errors,
    json_response,
)
from service.auth import AuthRequest, admin_only
from service.csv_export import csv_chunk, csv_header
from service.database import connection, queries, transaction
from service.errors import Conflict, InvalidInput
from service.pagination import CreatorCursor, decode_creator_cursor, encode_token, page_count
from service.validation import clean_text, parse_id

JOB_PROGRESS_CHANNEL = "job_progress"
KEYWORDS_MAX = 20
KEYWORD_MAX_LENGTH = 100
USERNAME_PATTERN = re.compile(r"[\w.-]{1,100}")
REGION_PATTERN = re.compile(r"[A-Za-z]{2}")
FINISHED = frozenset({"completed", "error", "cancelled", "timeout"})
# How long an event stream waits for a notification before it looks anyway
# (and sends a keep-alive comment when nothing changed).
EVENTS_POLL_SECONDS = 10.0

PlatformSlug = Literal["tiktok", "instagram", "youtube"]
RawText = Annotated[str, msgspec.Meta(max_length=1_000)]


class JobCreate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    campaign_id: RawText
    keywords: Annotated[list[RawText], msgspec.Meta(max_length=200)] | None = None
    target_username: RawText | None = None
    target_results: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000
    region: RawText = "US"


class JobAction(msgspec.Struct, forbid_unknown_fields=True):
    action: str


class CleanupRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: Literal["completed", "error", "cancelled", "timeout"]
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


class _StatusOnly(msgspec.Struct):
    status: str


def clean_keywords(raw: list[str]) -> list[str]:
    """Trimmed keywords without blanks or repeats (ignoring case); 1-20 of 1-100 characters."""
    keywords: list[str] = []
    seen: set[str] = set()
    for word in (w.strip() for w in raw):
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
    name = raw.strip().removeprefix("@")
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidInput("targetUsername", "must be a handle of 1-100 letters, digits, '.', '_' or '-'")
    return name


def clean_region(raw: str) -> str:
    region = raw.strip()
    if not REGION_PATTERN.fullmatch(region):
        raise InvalidInput("region", "must be a two-letter country code such as US")
    return region.upper()


def search_of(data: JobCreate) -> tuple[str, list[str] | None, str | None]:
    """The search type the body asks for, with its cleaned keywords or username."""
    has_keywords = data.keywords is not None and any(w.strip() for w in data.keywords)
    has_username = data.target_username is not None and bool(data.target_username.strip())
    if has_keywords and has_username:
        raise InvalidInput("body", "must give keywords or targetUsername, not both")
    if has_username:
        return "similar", None, clean_username(data.target_username or "")
    if data.keywords is None:
        raise InvalidInput("body", "must give keywords (keyword campaigns) or targetUsername (similar campaigns)")
    return "keyword", clean_keywords(data.keywords or []), None


class TooManyJobs(HTTPException):
    """429: a per-user limit on starting jobs; Retry-After tells when to try again."""

    status_code = HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail, headers={"Retry-After": "60"})


class ScrapingController(Controller):
    path = "/api/scraping"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads these class attributes)

    @post("/{platform:str}", responses={**documented(201, Job, "The new pending job"), **errors(400, 404, 413, 429)})
    async def create_job(
        self, request: AuthRequest, state: State, platform: FromPath[PlatformSlug], data: JSONBody[JobCreate]
    ) -> Response[bytes]:
        """Launch a search in one of the caller's campaigns; a worker starts on it within moments."""
        campaign_id = parse_id(data.campaign_id, "campaignId")
        search_type, keywords, username = search_of(data)
        region = clean_region(data.region)
        timeout = await state.config.duration("timeouts", "standard_job_timeout")
        max_active = int(await state.config.number("api_limits", "max_active_jobs_per_user"))
        max_per_minute = int(await state.config.number("api_limits", "max_jobs_per_minute"))
        async with transaction(state) as tx:
            await queries.lock_job_creation(tx, user_id=request.user.user_id)
            row = await queries.create_job(
                tx,
                user_id=request.user.user_id,
                campaign_id=campaign_id,
                search_type=search_type,
                platform=PLATFORM_NAMES[platform],
                keywords=keywords,
                target_username=username,
                region=region,
                target_results=data.target_results,
                timeout_seconds=timeout.total_seconds(),
                max_active_jobs=max_active,
                max_jobs_per_minute=max_per_minute,
            )
        if row is None:
            raise NotFoundException("Campaign not found")
        if row["refused"] == "active_jobs":
            raise TooManyJobs(f"You already have {max_active} searches running; wait for one to finish or cancel one")
        if row["refused"] == "rate":
            raise TooManyJobs(f"You can start at most {max_per_minute} searches a minute; try again shortly")
        if row["job"] is None:
            wanted = "keywords" if row["search_type"] == "keyword" else "a targetUsername"
            raise InvalidInput("body", f"this is a {row['search_type']} campaign: its jobs take {wanted}")
        return json_response(row["job"], status_code=201)

    @get("/{platform:str}", responses={**documented(200, JobDetail, "The job"), **errors(400, 404)})
    async def get_job_by_query(
        self,
        request: AuthRequest,
        state: State,
        platform: FromPath[PlatformSlug],
        job_id: Annotated[str, QueryParameter(name="jobId")],
    ) -> Response[bytes]:
        """The same as GET /api/jobs/{id}, for the frontend's polling."""
        return await job_detail(state, request.user.user_id, parse_id(job_id, "jobId"))


async def job_detail(state: State, user_id: str, job_id: UUID) -> Response[bytes]:
    async with connection(state) as db:
        found = await queries.get_job_detail(db, user_id=user_id, job_id=job_id)
    if found is None:
        raise NotFoundException("Job not found")
    return json_response(found)


def normalised_hashtag(text: str) -> str:
    tag = text.strip()
    if not tag.removeprefix("#"):
        raise InvalidInput("hashtag", "must not be empty")
    return tag if tag.startswith("#") else f"#{tag}"


EXPORT_BATCH_ROWS = 500


async def creator_csv(state: State, job_id: UUID, filters: dict[str, Any], sort: str) -> AsyncIterator[bytes]:
    """The export, streamed: rows flow from a server-side cursor in batches, so memory stays flat."""
    yield csv_header()
    async with (
        state.pool.acquire(timeout=state.acquire_timeout) as conn,
        queries.export_job_creators_cursor(conn, job_id=job_id, sort_by=sort, **filters) as rows,
    ):
        cursor = await rows
        while batch := await cursor.fetch(EXPORT_BATCH_ROWS):
            yield csv_chunk(batch)


async def progress_events(state: State, user_id: str, job_id: UUID) -> AsyncIterator[ServerSentEventMessage]:
    """The job as it changes (event `progress`), until it has finished.

    It reads the job only once subscribed to its notifications, so no change can
    fall between reading and waiting (the route's own read only answers 404 first).
    """
    sent = None
    with state.listener.subscribe(JOB_PROGRESS_CHANNEL, str(job_id)) as changed:
        while True:
            changed.clear()  # before reading, so that no change can slip between read and wait
            try:
                async with state.pool.acquire(timeout=state.acquire_timeout) as conn:
                    current = await queries.get_job_progress(conn, user_id=user_id, job_id=job_id)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return  # the database went away: end the stream; EventSource clients reconnect
            if current is None:
                return  # deleted meanwhile
            if current != sent:
                yield ServerSentEventMessage(data=current, event="progress")
                sent = current
            if msgspec.json.decode(current, type=_StatusOnly).status in FINISHED:
                return
            try:
                await asyncio.wait_for(changed.wait(), EVENTS_POLL_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")


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
        pagination = JobPagination(
            total=row["total"], pages=page_count(row["total"], limit), current_page=page, limit=limit
        )
        return JobPageOut(jobs=msgspec.Raw(row["jobs"].encode()), pagination=pagination)

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
        async with transaction(state) as tx:
            row = await queries.cancel_job(tx, user_id=request.user.user_id, job_id=job)
        if row is None:
            raise NotFoundException("Job not found")
        if row["job"] is None:
            raise Conflict(f"The job has already finished ({row['previous_status']})")
        return json_response(row["job"])

    @get(
        "/{job_id:str}/creators",
        responses={
            **documented(200, CreatorPage, "A page of creators, or with format=csv all of them as text/csv"),
            **errors(400, 404),
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
        filters = {
            "min_followers": min_followers,
            "max_followers": max_followers,
            "has_email": has_email,
            "hashtag": normalised_hashtag(hashtag) if hashtag is not None else None,
        }
        if format == "csv":
            async with connection(state) as db:
                if await queries.get_job_progress(db, user_id=request.user.user_id, job_id=job) is None:
                    raise NotFoundException("Job not found")
            return Stream(
                creator_csv(state, job, filters, sort),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="job-{job}-creators.csv"'},
            )
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
            encode_token(CreatorCursor(sort=sort, value=str(row["last_value"]), key=row["last_key"]))
            if row["has_more"]
            else None
        )
        return Response(CreatorPageOut(creators=msgspec.Raw(row["creators"].encode()), next_cursor=next_cursor))

    @get(
        "/{job_id:str}/events",
        responses={
            **documented(200, Job, "text/event-stream of `progress` events, each carrying the job"),
            **errors(400, 404),
        },
    )
    async def job_events(self, request: AuthRequest, state: State, job_id: FromPath[str]) -> ServerSentEvent:
        """Server-sent events: the job each time it changes, ending once it has finished."""
        job = parse_id(job_id)
        async with connection(state) as db:
            if await queries.get_job_progress(db, user_id=request.user.user_id, job_id=job) is None:
                raise NotFoundException("Job not found")
        return ServerSentEvent(progress_events(state, request.user.user_id, job))

    @post(
        "/cleanup",
        guards=[admin_only],
        status_code=200,
        responses={**documented(200, CleanupReport, "What was deleted"), **errors(400, 403, 413)},
    )
    async def cleanup(self, state: State, data: JSONBody[CleanupRequest]) -> CleanupReport:
        """Delete finished jobs of one status older than some days, with their results (admin)."""
        async with transaction(state) as tx:
            row = await queries.cleanup_jobs(tx, status=data.status, older_than_days=data.older_than_days)
        return CleanupReport(
            deleted_jobs=row["deleted_jobs"], deleted_results=row["deleted_results"], cutoff_date=row["cutoff_date"]
        )
