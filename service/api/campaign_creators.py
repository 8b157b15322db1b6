"""A campaign's creators: one list across all its searches, with the brand's status and note per creator."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypedDict
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Response, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from service.api.shapes import (
    CreatorProfileItem,
    HasEmail,
    Hashtag,
    Instant,
    MaxFollowers,
    MinFollowers,
    ResourceId,
    Shape,
    VideoItem,
    csv_columns,
    csv_download,
    documented,
    errors,
    json_response,
)
from service.api.streams import EXPORT_BATCH_ROWS, Batch, Export, ReadBatch, csv_export
from service.auth import AuthRequest
from service.csv_export import CAMPAIGN_COLUMNS
from service.database import connection, queries
from service.enumerations import PLATFORM_BY_SLUG, CreatorStatus, Platform, PlatformSlug
from service.errors import InvalidInput
from service.pagination import MALFORMED, CreatorCursor, decode_token, encode_token
from service.validation import NO_NUL, NOT_BLANK, clean_optional_text, clean_text, normalised_hashtag, parse_id

CampaignCreatorSort = Literal["followers", "engagement", "recent"]
NOTE_MAX = 2_000
HANDLE_MAX = 200
TEXT_QUERY_MAX = 200
# The OpenAPI format of this list's cursors (a value only the server makes, see service/pagination.py).
CAMPAIGN_CREATOR_CURSOR_FORMAT = "campaign-creator-cursor"
Handle = Annotated[
    str, PathParameter(min_length=1, max_length=HANDLE_MAX, pattern=NOT_BLANK, description="With or without @")
]


class CreatorSearch(Shape):
    """A search of the campaign that found the creator."""

    job_id: UUID
    platform: Platform
    keywords: list[str] | None
    target_username: str | None


class CampaignCreator(msgspec.Struct, rename="camel"):
    """A creator entry as last seen (the job creators' shape), with the brand's decision about it."""

    creator: CreatorProfileItem
    platform: str
    engagement_rate: float
    status: CreatorStatus | None
    note: str | None
    status_changed_at: Instant | None
    found_at: Instant
    searches: list[CreatorSearch]
    video: VideoItem | None = None
    hashtags: list[str] | None = None


class StatusChange(Shape):
    changed_at: Instant
    from_status: CreatorStatus | None
    to_status: CreatorStatus | None
    from_note: str | None
    to_note: str | None


class CampaignCreatorDetail(CampaignCreator):
    history: list[StatusChange] = []


class CampaignCreatorPage(Shape):
    creators: list[CampaignCreator]
    next_cursor: str | None


class CampaignCreatorPageOut(msgspec.Struct, rename="camel"):
    """CampaignCreatorPage as sent: the creators array is PostgreSQL's JSON text."""

    creators: msgspec.Raw
    next_cursor: str | None


class CreatorDecision(msgspec.Struct, forbid_unknown_fields=True):
    status: CreatorStatus | None = None
    note: (
        Annotated[str, msgspec.Meta(max_length=NOTE_MAX, pattern=NO_NUL, description="Trimmed; blank means none")]
        | None
    ) = None


class CampaignCreatorFilters(TypedDict):
    """The optional filters of a campaign's creators (None: no filter)."""

    platform: Platform | None
    min_followers: int | None
    max_followers: int | None
    has_email: bool | None
    hashtag: str | None
    status: CreatorStatus | None
    text_query: str | None


def campaign_list_reader(
    user_id: str, campaign_id: UUID, filters: CampaignCreatorFilters, sort: str, batch_rows: int
) -> ReadBatch:
    """Batches of a campaign's filtered creators in the list's order, by keyset (sort value, found_at, key)."""

    async def read(conn: asyncpg.Connection, after: tuple[Decimal, datetime, str] | None) -> Batch:
        recent = sort == "recent"
        rows = [
            row
            async for row in queries.export_campaign_creators_batch(
                conn,
                user_id=user_id,
                campaign_id=campaign_id,
                sort_by=sort,
                after_value=after[0] if after and not recent else None,
                after_found_at=after[1] if after and recent else None,
                after_key=after[2] if after else None,
                batch_size=batch_rows,
                **filters,
            )
        ]
        last = rows[-1] if len(rows) == batch_rows else None
        return Batch(rows, (last.sort_value, last.found_at, last.creator_key) if last else None)

    return read


async def campaign_list_csv(
    state: State, user_id: str, campaign_id: UUID, filters: CampaignCreatorFilters, sort: str
) -> Stream:
    """`GET /api/campaigns/{id}/creators.csv`."""

    async def exists(db: asyncpg.Connection) -> bool:
        return await queries.campaign_exists(db, user_id=user_id, campaign_id=campaign_id) is True

    export = Export(
        exists=exists,
        read=campaign_list_reader(user_id, campaign_id, filters, sort, EXPORT_BATCH_ROWS),
        file_name=f"campaign-{campaign_id}-creators.csv",
        label=f"campaign {campaign_id} list",
        missing="Campaign not found",
        columns=CAMPAIGN_COLUMNS,
    )
    return await csv_export(state, user_id, export)


SortParameter = Annotated[CampaignCreatorSort, QueryParameter(description="Highest or newest first")]


async def provide_filters(
    platform: Annotated[PlatformSlug | None, QueryParameter(description="Only this platform")] = None,
    min_followers: MinFollowers = None,
    max_followers: MaxFollowers = None,
    has_email: HasEmail = None,
    hashtag: Hashtag = None,
    status: Annotated[CreatorStatus | None, QueryParameter(description="Only creators in this status")] = None,
    q: Annotated[
        str | None,
        QueryParameter(
            max_length=TEXT_QUERY_MAX, pattern=NO_NUL, description="Words in the name, bio or video description"
        ),
    ] = None,
) -> CampaignCreatorFilters:
    """The list's filters from the query string (one definition for the page and the CSV)."""
    return CampaignCreatorFilters(
        platform=PLATFORM_BY_SLUG[platform] if platform else None,
        min_followers=min_followers,
        max_followers=max_followers,
        has_email=has_email,
        hashtag=normalised_hashtag(hashtag) if hashtag is not None else None,
        status=status,
        text_query=clean_optional_text(q, "q", max_length=TEXT_QUERY_MAX),
    )


FILTERS = {"filters": Provide(provide_filters)}


@get(
    "/api/campaigns/{campaign_id:str}/creators.csv",
    tags=["campaigns"],
    dependencies=FILTERS,
    responses={
        **csv_download("The whole filtered list: the job export's columns, then status and note"),
        **errors(400, 404, 429),
    },
    opt=csv_columns(CAMPAIGN_COLUMNS, "in the order of `sort`"),
)
async def campaign_creators_csv(
    request: AuthRequest,
    state: State,
    campaign_id: ResourceId,
    filters: NamedDependency[CampaignCreatorFilters],
    sort: SortParameter = "followers",
) -> Stream:
    """A campaign's creators as a CSV download, in the list's order, with the same filters.

    Streamed in keyset batches under the job export's rules: a per-user cap on exports, formula-safe
    cells, the first batch read before the status line, no connection held while the client reads.
    """
    return await campaign_list_csv(state, request.user.user_id, parse_id(campaign_id, "campaignId"), filters, sort)


def creator_key(platform: PlatformSlug, handle: str) -> str:
    """The key the list knows a creator by: platform and handle, ignoring case (as migration 0008 builds it)."""
    name = clean_text(handle, "handle", max_length=HANDLE_MAX).removeprefix("@")
    return f"{PLATFORM_BY_SLUG[platform]}:{name.lower()}"


def after_position(cursor: str | None, sort: str) -> tuple[Decimal | None, datetime | None, str | None]:
    """(after_value, after_found_at, after_key) of a cursor made for `sort`."""
    if not cursor:
        return None, None, None
    position = decode_token(cursor, CreatorCursor)
    if position.sort != sort:
        raise InvalidInput("cursor", f"was made for sort={position.sort}; start again without a cursor")
    try:
        if sort == "recent":
            return None, datetime.fromisoformat(position.value), position.key
        return Decimal(position.value), None, position.key
    except ValueError:
        raise InvalidInput("cursor", MALFORMED) from None


class CampaignCreatorController(Controller):
    path = "/api/campaigns/{campaign_id:str}/creators"
    tags = ["campaigns"]  # noqa: RUF012 (Litestar reads these class attributes)
    dependencies = FILTERS

    @get(
        "/", responses={**documented(200, CampaignCreatorPage, "A page of the campaign's creators"), **errors(400, 404)}
    )
    async def list_creators(
        self,
        request: AuthRequest,
        state: State,
        campaign_id: ResourceId,
        filters: NamedDependency[CampaignCreatorFilters],
        sort: SortParameter = "followers",
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Creators per page (default 50)")] = 50,
        cursor: Annotated[
            str | None,
            QueryParameter(
                format=CAMPAIGN_CREATOR_CURSOR_FORMAT,
                description="The previous page's nextCursor (only a value it gave, for the same sort)",
            ),
        ] = None,
    ) -> Response[Any]:
        """Every creator found by any of the campaign's searches, once each, as last seen, with its status."""
        campaign = parse_id(campaign_id, "campaignId")
        after_value, after_found_at, after_key = after_position(cursor, sort)
        async with connection(state) as db:
            row = await queries.list_campaign_creators_page(
                db,
                user_id=request.user.user_id,
                campaign_id=campaign,
                sort_by=sort,
                after_value=after_value,
                after_found_at=after_found_at,
                after_key=after_key,
                page_size=limit,
                **filters,
            )
        if row is None:
            raise NotFoundException("Campaign not found")
        next_cursor = None
        if row.has_more and row.last_key is not None:
            value = row.last_found_at.isoformat() if sort == "recent" and row.last_found_at else str(row.last_value)
            next_cursor = encode_token(CreatorCursor(sort=sort, value=value, key=row.last_key))
        return Response(CampaignCreatorPageOut(creators=msgspec.Raw(row.creators.encode()), next_cursor=next_cursor))

    @get(
        "/{platform:str}/{handle:str}",
        responses={**documented(200, CampaignCreatorDetail, "The creator with its history"), **errors(400, 404)},
    )
    async def get_creator(
        self,
        request: AuthRequest,
        state: State,
        campaign_id: ResourceId,
        platform: FromPath[PlatformSlug],
        handle: Handle,
    ) -> Response[bytes]:
        """One creator of the campaign, its status and note, and every change of them."""
        return await creator_detail(state, request.user.user_id, parse_id(campaign_id, "campaignId"), platform, handle)

    @put(
        "/{platform:str}/{handle:str}",
        responses={**documented(200, CampaignCreatorDetail, "The creator with its history"), **errors(400, 404, 413)},
    )
    async def decide(
        self,
        request: AuthRequest,
        state: State,
        campaign_id: ResourceId,
        platform: FromPath[PlatformSlug],
        handle: Handle,
        data: JSONBody[CreatorDecision],
    ) -> Response[bytes]:
        """Set the creator's status (shortlisted, contacted, replied, declined, hired; null clears) and note."""
        campaign = parse_id(campaign_id, "campaignId")
        key = creator_key(platform, handle)
        note = clean_optional_text(data.note, "note", max_length=NOTE_MAX)
        async with connection(state) as db:
            found = await queries.set_campaign_creator_status(
                db, user_id=request.user.user_id, campaign_id=campaign, creator_key=key, status=data.status, note=note
            )
        if found is None:
            raise NotFoundException("Creator not found in this campaign")
        return await creator_detail(state, request.user.user_id, campaign, platform, handle)


async def creator_detail(
    state: State, user_id: str, campaign_id: UUID, platform: PlatformSlug, handle: str
) -> Response[bytes]:
    async with connection(state) as db:
        found = await queries.get_campaign_creator(
            db, user_id=user_id, campaign_id=campaign_id, creator_key=creator_key(platform, handle)
        )
    if found is None:
        raise NotFoundException("Creator not found in this campaign")
    return json_response(found)
