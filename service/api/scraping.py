"""Launching searches: POST /api/scraping/{slug}, and the frontend's polling route beside it.

The slugs are the platforms' names and the old frontend's names for a
platform's keyword or similar search (enumerations.SEARCH_BY_SLUG).
"""

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter

from service.api.job_shapes import JobCreate, JobDetail, JobStarted
from service.api.shapes import documented, errors, json_response
from service.auth import AuthRequest
from service.database import connection, queries, transaction
from service.enumerations import SEARCH_BY_SLUG, ScrapingSlug
from service.errors import Conflict, InvalidInput, TooManyJobs
from service.search_options import clean_search_params
from service.validation import clean_region, parse_id, requested_username, search_of

WANTED_BY_SEARCH_TYPE = {"keyword": "keywords", "similar": "a targetUsername (or username)"}


class ScrapingController(Controller):
    path = "/api/scraping"
    tags = ["jobs"]  # noqa: RUF012 (Litestar reads these class attributes)

    @post(
        "/{platform:str}",
        responses={**documented(201, JobStarted, "The new pending job"), **errors(400, 404, 409, 413, 429)},
    )
    async def create_job(
        self, request: AuthRequest, state: State, platform: FromPath[ScrapingSlug], data: JSONBody[JobCreate]
    ) -> Response[bytes]:
        """Launch a search in one of the caller's campaigns; a worker starts on it within moments.

        `instagram-hashtag` takes keywords; `tiktok-similar` and `youtube-similar` take a username.
        The answer is the job with `jobId` (its id again) and `message`, which the old frontend reads.
        """
        search_type, keywords, username = search_of(
            None if data.keywords is msgspec.UNSET else data.keywords,
            requested_username(
                None if data.target_username is msgspec.UNSET else data.target_username,
                None if data.username is msgspec.UNSET else data.username,
            ),
        )
        platform_name, slug_search_type = SEARCH_BY_SLUG[platform]
        if slug_search_type is not None and slug_search_type != search_type:
            raise InvalidInput(
                "body", f"{platform} starts {slug_search_type} searches: give {WANTED_BY_SEARCH_TYPE[slug_search_type]}"
            )
        region = clean_region(data.region)
        options = clean_search_params(data.search_params, platform_name, search_type)
        timeout = await state.config.duration("timeouts", "standard_job_timeout")
        max_active = int(await state.config.number("api_limits", "max_active_jobs_per_user"))
        max_per_minute = int(await state.config.number("api_limits", "max_jobs_per_minute"))
        async with transaction(state) as tx:
            await queries.lock_job_creation(tx, user_id=request.user.user_id)
            row = await queries.create_job(
                tx,
                user_id=request.user.user_id,
                campaign_id=data.campaign_id,
                search_type=search_type,
                platform=platform_name,
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
            wanted = WANTED_BY_SEARCH_TYPE[row.search_type]
            raise Conflict(f"This is a {row.search_type} campaign: its jobs take {wanted}")
        return json_response(row.job, status_code=201)

    @get("/{platform:str}", responses={**documented(200, JobDetail, "The job"), **errors(400, 404)})
    async def get_job_by_query(
        self,
        request: AuthRequest,
        state: State,
        platform: FromPath[ScrapingSlug],
        job_id: Annotated[str, QueryParameter(name="jobId", format="uuid", description="A UUID (anything else: 400)")],
    ) -> Response[bytes]:
        """The job for the frontend's polling, whatever its platform: like GET /api/jobs/{id}, except
        that all result pages are merged into `results[0]` (in page order), and each creator also
        carries `creator.uniqueId` and `creator.profilePicUrl`, plus, for a similar search, the flat
        fields `id, username, name, full_name, handle, profile_pic_url, profileUrl, is_verified,
        is_private, bio, emails, followerCount`."""
        job = parse_id(job_id, "jobId")
        async with connection(state) as db:
            found = await queries.get_polled_job(db, user_id=request.user.user_id, job_id=job)
        if found is None:
            raise NotFoundException("Job not found")
        return json_response(found)
