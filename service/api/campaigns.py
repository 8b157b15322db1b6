"""Campaign routes: create, list (offset and keyset pages), detail, update, delete, stats."""

from typing import Annotated, Any, ClassVar
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, QueryParameter

from service.api.shapes import (
    Campaign,
    Instant,
    Job,
    Message,
    PageNumber,
    PageSize,
    ResourceId,
    Result,
    Shape,
    documented,
    errors,
    json_response,
)
from service.auth import AuthRequest
from service.database import connection, queries
from service.enumerations import CampaignStatus, SearchType
from service.errors import InvalidInput
from service.pagination import KEYSET_CURSOR_FORMAT, KeysetCursor, decode_cursor, encode_cursor, page_count
from service.validation import (
    CAMPAIGN_DESCRIPTION_MAX,
    CAMPAIGN_NAME_MAX,
    CampaignDescription,
    CampaignName,
    clean_optional_text,
    clean_text,
    parse_id,
)


class CampaignCreate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    name: CampaignName
    search_type: SearchType
    description: CampaignDescription | None = None


class CampaignUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """At least one of the fields."""

    json_schema_extra: ClassVar[dict[str, Any]] = {"minProperties": 1}
    name: CampaignName | msgspec.UnsetType = msgspec.UNSET
    description: CampaignDescription | msgspec.UnsetType | None = msgspec.UNSET
    status: CampaignStatus | msgspec.UnsetType = msgspec.UNSET


class CampaignWithLatestJob(Campaign):
    scraping_jobs: list[Job]


class Pagination(Shape, omit_defaults=True):
    total: int
    pages: int
    current_page: int
    limit: int
    # Present (null on the last page) only when the request used a cursor.
    next_cursor: str | msgspec.UnsetType | None = msgspec.UNSET


class CampaignPage(Shape):
    campaigns: list[CampaignWithLatestJob]
    pagination: Pagination


class CampaignPageOut(msgspec.Struct):
    """CampaignPage as sent: the campaigns array is PostgreSQL's JSON text."""

    campaigns: msgspec.Raw
    pagination: Pagination


class JobWithResults(Job):
    results: list[Result]


class CampaignDetail(Campaign):
    scraping_jobs: list[JobWithResults]


class CampaignCounts(Shape):
    draft: int
    active: int
    completed: int


class CampaignActivity(Shape):
    campaign_id: UUID
    campaign_name: str
    total_jobs: int
    avg_results: float
    latest_job: Instant | None
    creators_by_status: "CreatorStatusCounts"


class CreatorStatusCounts(Shape):
    """How many of the campaign's creators the brand has put in each status."""

    shortlisted: int
    contacted: int
    replied: int
    declined: int
    hired: int


class CampaignStats(Shape):
    by_status: CampaignCounts
    campaigns: list[CampaignActivity]


CursorParam = Annotated[
    str | None,
    QueryParameter(
        format=KEYSET_CURSOR_FORMAT,
        description="Keyset cursor: empty for the first page, then pagination.nextCursor (only a value it gave)",
    ),
]


class CampaignController(Controller):
    path = "/api/campaigns"
    tags = ["campaigns"]  # noqa: RUF012 (Litestar reads these class attributes)

    @post("/", responses={**documented(201, Campaign, "The new draft campaign"), **errors(400, 413)})
    async def create_campaign(
        self, request: AuthRequest, state: State, data: JSONBody[CampaignCreate]
    ) -> Response[bytes]:
        """Create a draft campaign."""
        name = clean_text(data.name, "name", max_length=CAMPAIGN_NAME_MAX)
        description = clean_optional_text(data.description, "description", max_length=CAMPAIGN_DESCRIPTION_MAX)
        async with connection(state) as db:
            created = await queries.create_campaign(
                db,
                user_id=request.user.user_id,
                name=name,
                description=description,
                search_type=data.search_type,
            )
        return json_response(created, status_code=201)

    @get("/", responses={**documented(200, CampaignPage, "A page of campaigns"), **errors(400)})
    async def list_campaigns(
        self,
        request: AuthRequest,
        state: State,
        page: PageNumber = 1,
        limit: PageSize = 12,
        cursor: CursorParam = None,
        status: Annotated[CampaignStatus | None, QueryParameter(description="Only campaigns in this status")] = None,
        has_active_jobs: Annotated[
            bool,
            QueryParameter(name="hasActiveJobs", description="Only campaigns with a pending or processing job"),
        ] = False,
    ) -> CampaignPageOut:
        """List the caller's campaigns, newest first, each with its most recent job.

        Offset pages (`page`) report `currentPage` of `pages`; passing `cursor`
        (empty for the first page) switches to keyset pages, which stay fast at
        any depth and add `nextCursor`.
        """
        keyset = cursor is not None
        after = decode_cursor(cursor) if cursor else None
        current_page = after.page if after else (1 if keyset else page)
        async with connection(state) as db:
            row = await queries.list_campaigns_page(
                db,
                user_id=request.user.user_id,
                status=status,
                active_only=has_active_jobs,
                before_created_at=after.created_at if after else None,
                before_id=after.id if after else None,
                page_size=limit,
                skip=0 if keyset else (page - 1) * limit,
            )
        pagination = Pagination(
            total=row.total, pages=page_count(row.total, limit), current_page=current_page, limit=limit
        )
        if keyset:
            pagination.next_cursor = (
                encode_cursor(KeysetCursor(row.last_created_at, row.last_id, current_page + 1))
                if row.has_more and row.last_created_at is not None and row.last_id is not None
                else None
            )
        return CampaignPageOut(campaigns=msgspec.Raw(row.campaigns.encode()), pagination=pagination)

    @get("/stats", responses={**documented(200, CampaignStats, "Campaign statistics"), **errors()})
    async def campaign_stats(self, request: AuthRequest, state: State) -> Response[bytes]:
        """Counts by status, and per campaign its jobs, average results and latest job."""
        async with connection(state) as db:
            stats = await queries.campaign_stats(db, user_id=request.user.user_id)
        return json_response(stats)

    @get(
        "/{campaign_id:str}",
        responses={
            **documented(200, CampaignDetail, "The campaign with its jobs and results"),
            **errors(400, 404),
        },
    )
    async def get_campaign(self, request: AuthRequest, state: State, campaign_id: ResourceId) -> Response[bytes]:
        """A campaign with all its jobs (newest first) and their results."""
        campaign = parse_id(campaign_id)
        async with connection(state) as db:
            found = await queries.get_campaign_detail(db, user_id=request.user.user_id, campaign_id=campaign)
        if found is None:
            raise NotFoundException("Campaign not found")
        return json_response(found)

    @patch(
        "/{campaign_id:str}",
        responses={**documented(200, Campaign, "The updated campaign"), **errors(400, 404, 413)},
    )
    async def update_campaign(
        self, request: AuthRequest, state: State, campaign_id: ResourceId, data: JSONBody[CampaignUpdate]
    ) -> Response[bytes]:
        """Change a campaign's name, description (null clears it) or status."""
        campaign = parse_id(campaign_id)
        if data.name is msgspec.UNSET and data.description is msgspec.UNSET and data.status is msgspec.UNSET:
            raise InvalidInput("body", "must give at least one of name, description, status")
        name = None if data.name is msgspec.UNSET else clean_text(data.name, "name", max_length=CAMPAIGN_NAME_MAX)
        description = None if data.description is msgspec.UNSET else data.description
        async with connection(state) as db:
            updated = await queries.update_campaign(
                db,
                user_id=request.user.user_id,
                campaign_id=campaign,
                name=name,
                description=clean_optional_text(description, "description", max_length=CAMPAIGN_DESCRIPTION_MAX),
                set_description=data.description is not msgspec.UNSET,
                status=None if data.status is msgspec.UNSET else data.status,
            )
        if updated is None:
            raise NotFoundException("Campaign not found")
        return json_response(updated)

    @delete(
        "/{campaign_id:str}",
        status_code=200,
        responses={**documented(200, Message, "Deleted with its jobs and results"), **errors(400, 404)},
    )
    async def delete_campaign(self, request: AuthRequest, state: State, campaign_id: ResourceId) -> Message:
        """Delete a campaign; its jobs and their results go with it."""
        campaign = parse_id(campaign_id)
        async with connection(state) as db:
            deleted = await queries.delete_campaign(db, user_id=request.user.user_id, campaign_id=campaign)
        if deleted is None:
            raise NotFoundException("Campaign not found")
        return Message(message="Campaign deleted successfully")
