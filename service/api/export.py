"""GET /api/export/csv?jobId=|campaignId=: the old frontend's export button, a job's or a whole campaign's creators."""

from typing import Annotated

from litestar import get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Stream

from service.api.shapes import csv_columns, csv_download, errors
from service.api.streams import NO_FILTERS, campaign_creators_csv, job_creators_csv
from service.auth import AuthRequest
from service.csv_export import COLUMNS
from service.errors import InvalidInput
from service.validation import parse_id


@get(
    "/api/export/csv",
    tags=["jobs"],
    responses={**csv_download("The creators, one row each"), **errors(400, 404, 429)},
    opt=csv_columns(COLUMNS, "job by job (oldest job first), each in its export's order"),
)
async def export_csv(
    request: AuthRequest,
    state: State,
    job_id: Annotated[
        str | None, QueryParameter(name="jobId", format="uuid", description="One job's creators (this or campaignId)")
    ] = None,
    campaign_id: Annotated[
        str | None,
        QueryParameter(name="campaignId", format="uuid", description="Every job's creators (wins over jobId)"),
    ] = None,
) -> Stream:
    """The creators of a job, or of every job of a campaign (oldest job first), as a CSV download.

    The columns, order and formula safety are those of GET /api/jobs/{id}/creators?format=csv.
    """
    user_id = request.user.user_id
    job = parse_id(job_id, "jobId") if job_id else None  # checked even when campaignId wins
    if campaign_id:
        return await campaign_creators_csv(state, user_id, parse_id(campaign_id, "campaignId"))
    if job is None:
        raise InvalidInput("jobId", "or campaignId is required")
    return await job_creators_csv(state, user_id, job, NO_FILTERS, "followers")
