"""GET /api/export/csv?jobId=|campaignId=: the old frontend's export button, a job's or a whole campaign's creators."""

from typing import Annotated

from litestar import get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from service.api.shapes import errors
from service.api.streams import NO_FILTERS, campaign_creator_csv, creator_csv
from service.auth import AuthRequest
from service.database import connection, queries
from service.errors import InvalidInput
from service.validation import parse_id

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@get(
    "/api/export/csv",
    tags=["jobs"],
    responses={
        200: ResponseSpec(data_container=str, media_type="text/csv", description="The creators, one row each"),
        **errors(400, 404),
    },
)
async def export_csv(
    request: AuthRequest,
    state: State,
    job_id: Annotated[str | None, QueryParameter(name="jobId", description="One job's creators")] = None,
    campaign_id: Annotated[
        str | None, QueryParameter(name="campaignId", description="Every job's creators (wins over jobId)")
    ] = None,
) -> Stream:
    """The creators of a job, or of every job of a campaign (oldest job first), as a CSV download.

    The columns, order and formula safety are those of GET /api/jobs/{id}/creators?format=csv.
    """
    user_id = request.user.user_id
    if campaign_id:
        campaign = parse_id(campaign_id, "campaignId")
        async with connection(state) as db:
            found = await queries.list_campaign_job_ids(db, user_id=user_id, campaign_id=campaign)
        if found is None:
            raise NotFoundException("Campaign not found")
        return Stream(
            campaign_creator_csv(state, found.job_ids),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="campaign-{campaign}-creators.csv"'},
        )
    if not job_id:
        raise InvalidInput("jobId", "or campaignId is required")
    job = parse_id(job_id, "jobId")
    async with connection(state) as db:
        if await queries.get_job_progress(db, user_id=user_id, job_id=job) is None:
            raise NotFoundException("Job not found")
    return Stream(
        creator_csv(state, job, NO_FILTERS, "followers"),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="job-{job}-creators.csv"'},
    )
