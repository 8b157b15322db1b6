"""Scraping jobs: launch a search, read a job with its results, cancel it, follow it live."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from service.api.shapes import Job, Platform, Result, Shape, documented, errors, json_response
from service.auth import Principal, admin_only
from service.database import connection, queries, transaction
from service.errors import Conflict, InvalidInput
from service.validation import parse_id

JOB_PROGRESS_CHANNEL = "job_progress"
KEYWORDS_MAX = 20
KEYWORD_MAX_LENGTH = 100
USERNAME_PATTERN = re.compile(r"[\w.-]{1,100}")
REGION_PATTERN = re.compile(r"[A-Za-z]{2}")
FINISHED = frozenset({"completed", "error", "cancelled", "timeout"})
# How long an event stream waits for a notification before it looks anyway
# (and sends a keep-alive comment when nothing changed).
EVENTS_POLL_SECONDS = 10.0

PLATFORMS: dict[str, Platform] = {"tiktok": "TikTok", "instagram": "Instagram", "youtube": "YouTube"}
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
    if data.keywords is None and not has_username:
        raise InvalidInput("body", "must give keywords (keyword campaigns) or targetUsername (similar campaigns)")
    return "keyword", clean_keywords(data.keywords or []), None


AuthRequest = Request[Principal, Any, Any]


class ScrapingController(Controller):
    path = "/api/scraping"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads these class attributes)

    @post("/{platform:str}", responses={**documented(201, Job, "The new pending job"), **errors(400, 404, 413)})
    async def create_job(
        self, request: AuthRequest, state: State, platform: FromPath[PlatformSlug], data: JSONBody[JobCreate]
    ) -> Response[bytes]:
        """Launch a search in one of the caller's campaigns; a worker starts on it within moments."""
        campaign_id = parse_id(data.campaign_id, "campaignId")
        search_type, keywords, username = search_of(data)
        region = clean_region(data.region)
        timeout = await state.config.duration("timeouts", "standard_job_timeout")
        async with transaction(state) as tx:
            row = await queries.create_job(
                tx,
                user_id=request.user.user_id,
                campaign_id=campaign_id,
                search_type=search_type,
                platform=PLATFORMS[platform],
                keywords=keywords,
                target_username=username,
                region=region,
                target_results=data.target_results,
                timeout_seconds=timeout.total_seconds(),
            )
        if row is None:
            raise NotFoundException("Campaign not found")
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


async def progress_events(state: State, user_id: str, job_id: UUID) -> AsyncIterator[ServerSentEventMessage]:
    """The job as it changes (event `progress`), until it has finished."""
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
