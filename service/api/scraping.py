"""Launching searches: POST /api/scraping/{platform}, and the frontend's polling route beside it."""

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter

from service.api.job_shapes import JobCreate, JobDetail
from service.api.jobs import job_detail
from service.api.shapes import Job, documented, errors, json_response
from service.auth import AuthRequest
from service.database import queries, transaction
from service.enumerations import PLATFORM_BY_SLUG, PlatformSlug
from service.errors import InvalidInput, TooManyJobs
from service.search_options import clean_search_params
from service.validation import clean_region, parse_id, search_of


class ScrapingController(Controller):
    path = "/api/scraping"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads these class attributes)

    @post("/{platform:str}", responses={**documented(201, Job, "The new pending job"), **errors(400, 404, 413, 429)})
    async def create_job(
        self, request: AuthRequest, state: State, platform: FromPath[PlatformSlug], data: JSONBody[JobCreate]
    ) -> Response[bytes]:
        """Launch a search in one of the caller's campaigns; a worker starts on it within moments."""
        campaign_id = parse_id(data.campaign_id, "campaignId")
        search_type, keywords, username = search_of(data.keywords, data.target_username)
        region = clean_region(data.region)
        options = clean_search_params(data.search_params, PLATFORM_BY_SLUG[platform], search_type)
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
                platform=PLATFORM_BY_SLUG[platform],
                keywords=keywords,
                target_username=username,
                region=region,
                target_results=data.target_results,
                search_params=options,
                timeout_seconds=timeout.total_seconds(),
                max_active_jobs=max_active,
                max_jobs_per_minute=max_per_minute,
            )
        if row is None:
            raise NotFoundException("Campaign not found")
        if row.refused == "active_jobs":
            raise TooManyJobs(f"You already have {max_active} searches running; wait for one to finish or cancel one")
        if row.refused == "rate":
            raise TooManyJobs(f"You can start at most {max_per_minute} searches a minute; try again shortly")
        if row.job is None:
            wanted = "keywords" if row.search_type == "keyword" else "a targetUsername"
            raise InvalidInput("body", f"this is a {row.search_type} campaign: its jobs take {wanted}")
        return json_response(row.job, status_code=201)

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
