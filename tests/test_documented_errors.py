"""Every 4xx that the OpenAPI document promises for an operation really occurs.

The cases are generated from the app's own document: a documented status
without a way to trigger it here fails the test, so the document cannot
promise what the service never does (nor drift from what it does).
"""

import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import SESSION_COOKIE
from service.openapi_document import finished_document
from service.settings import Settings
from tests.conftest import TokenFactory
from tests.factories import add_job, create_campaign

Client = AsyncTestClient[Any]

_offline = Settings(database_url="postgresql://unused@/unused", auth_jwt_secret="d" * 40)
_APP = create_app(_offline, "postgresql://unused@/unused")
DOCUMENT = finished_document(_APP, _APP.openapi_schema.to_schema())  # the document as served
DOCUMENTED = sorted(
    (method.upper(), path, status)
    for path, operations in DOCUMENT["paths"].items()
    if path.startswith("/api")
    for method, operation in operations.items()
    for status in operation["responses"]
    if status.startswith("4")
)
ADMIN_PREFIXES = ("/api/admin", "/api/jobs/cleanup")
UNKNOWN = str(uuid.uuid4())

# A well-formed request for each operation (ids filled in by the test).
SAMPLES: dict[tuple[str, str], tuple[str, Any]] = {
    ("GET", "/api/campaigns/stats"): ("/api/campaigns/stats", None),
    ("GET", "/api/campaigns"): ("/api/campaigns", None),
    ("POST", "/api/campaigns"): ("/api/campaigns", {"name": "c", "searchType": "keyword"}),
    ("GET", "/api/campaigns/{campaign_id}"): ("/api/campaigns/{campaign}", None),
    ("DELETE", "/api/campaigns/{campaign_id}"): ("/api/campaigns/{campaign}", None),
    ("PATCH", "/api/campaigns/{campaign_id}"): ("/api/campaigns/{campaign}", {"name": "d"}),
    ("GET", "/api/campaigns/{campaign_id}/creators"): ("/api/campaigns/{campaign}/creators", None),
    ("GET", "/api/campaigns/{campaign_id}/creators.csv"): ("/api/campaigns/{campaign}/creators.csv", None),
    ("GET", "/api/campaigns/{campaign_id}/creators/{platform}/{handle}"): (
        "/api/campaigns/{campaign}/creators/tiktok/creator-0-0",
        None,
    ),
    ("PUT", "/api/campaigns/{campaign_id}/creators/{platform}/{handle}"): (
        "/api/campaigns/{campaign}/creators/tiktok/creator-0-0",
        {"status": "shortlisted"},
    ),
    ("GET", "/api/scraping/{platform}"): ("/api/scraping/tiktok?jobId={job}", None),
    ("POST", "/api/scraping/{platform}"): ("/api/scraping/tiktok", {"campaignId": "{campaign}", "keywords": ["x"]}),
    ("GET", "/api/jobs/{job_id}"): ("/api/jobs/{job}", None),
    ("PATCH", "/api/jobs/{job_id}"): ("/api/jobs/{job}", {"action": "cancel"}),
    ("POST", "/api/jobs/cleanup"): ("/api/jobs/cleanup", {"status": "completed", "olderThanDays": 36500}),
    ("GET", "/api/jobs/{job_id}/creators"): ("/api/jobs/{job}/creators", None),
    ("GET", "/api/jobs/{job_id}/creators.csv"): ("/api/jobs/{job}/creators.csv", None),
    ("GET", "/api/jobs/{job_id}/events"): ("/api/jobs/{job}/events", None),
    ("GET", "/api/jobs/stats"): ("/api/jobs/stats", None),
    ("GET", "/api/jobs"): ("/api/jobs", None),
    ("GET", "/api/jobs/search"): ("/api/jobs/search?keyword=x", None),
    ("PATCH", "/api/onboarding/complete"): ("/api/onboarding/complete", None),
    ("PATCH", "/api/onboarding/step-1"): ("/api/onboarding/step-1", {"fullName": "A", "businessName": "B"}),
    ("PATCH", "/api/onboarding/step-2"): ("/api/onboarding/step-2", {"brandDescription": "x"}),
    ("GET", "/api/profile"): ("/api/profile", None),
    ("GET", "/api/onboarding/status"): ("/api/onboarding/status", None),
    ("GET", "/api/export/csv"): ("/api/export/csv?jobId={job}", None),
    ("GET", "/api/proxy/image"): ("/api/proxy/image?url=https%3A%2F%2Fexample.com%2Fa.jpg", None),
    ("POST", "/api/admin/config"): (
        "/api/admin/config",
        {"category": "test_documented", "key": "posted", "value": "1", "valueType": "number"},
    ),
    ("POST", "/api/admin/config/init"): ("/api/admin/config/init", None),
    ("PUT", "/api/admin/config/{category}/{key}"): (
        "/api/admin/config/test_documented/key",
        {"value": "1", "valueType": "number"},
    ),
    ("DELETE", "/api/admin/config/{category}/{key}"): ("/api/admin/config/test_documented/missing", None),
    ("GET", "/api/admin/config"): ("/api/admin/config", None),
    ("GET", "/api/admin/profiles"): ("/api/admin/profiles?emailType=welcome", None),
}

# Requests that make an operation answer 400.
BAD_INPUT: dict[tuple[str, str], tuple[str, Any]] = {
    ("GET", "/api/campaigns"): ("/api/campaigns?limit=0", None),
    ("POST", "/api/campaigns"): ("/api/campaigns", {"name": " ", "searchType": "keyword"}),
    ("GET", "/api/campaigns/{campaign_id}"): ("/api/campaigns/not-an-id", None),
    ("DELETE", "/api/campaigns/{campaign_id}"): ("/api/campaigns/not-an-id", None),
    ("PATCH", "/api/campaigns/{campaign_id}"): ("/api/campaigns/{campaign}", {}),
    ("GET", "/api/campaigns/{campaign_id}/creators"): ("/api/campaigns/{campaign}/creators?sort=name", None),
    ("GET", "/api/campaigns/{campaign_id}/creators.csv"): ("/api/campaigns/{campaign}/creators.csv?sort=name", None),
    ("GET", "/api/campaigns/{campaign_id}/creators/{platform}/{handle}"): (
        "/api/campaigns/{campaign}/creators/myspace/x",
        None,
    ),
    ("PUT", "/api/campaigns/{campaign_id}/creators/{platform}/{handle}"): (
        "/api/campaigns/{campaign}/creators/tiktok/creator-0-0",
        {"status": "maybe"},
    ),
    ("GET", "/api/scraping/{platform}"): ("/api/scraping/tiktok?jobId=not-an-id", None),
    ("POST", "/api/scraping/{platform}"): ("/api/scraping/myspace", {"campaignId": "{campaign}", "keywords": ["x"]}),
    ("GET", "/api/jobs/{job_id}"): ("/api/jobs/not-an-id", None),
    ("PATCH", "/api/jobs/{job_id}"): ("/api/jobs/{job}", {"action": "pause"}),
    ("POST", "/api/jobs/cleanup"): ("/api/jobs/cleanup", {"status": "pending", "olderThanDays": 1}),
    ("GET", "/api/jobs/{job_id}/creators"): ("/api/jobs/{job}/creators?sort=name", None),
    ("GET", "/api/jobs/{job_id}/creators.csv"): ("/api/jobs/{job}/creators.csv?minFollowers=-1", None),
    ("GET", "/api/jobs/{job_id}/events"): ("/api/jobs/not-an-id/events", None),
    ("GET", "/api/jobs"): ("/api/jobs?sortBy=keywords", None),
    ("GET", "/api/jobs/search"): ("/api/jobs/search?keyword=%20", None),
    ("PATCH", "/api/onboarding/step-1"): ("/api/onboarding/step-1", {"fullName": "", "businessName": "B"}),
    ("PATCH", "/api/onboarding/step-2"): ("/api/onboarding/step-2", {"brandDescription": ""}),
    ("PUT", "/api/admin/config/{category}/{key}"): (
        "/api/admin/config/test_documented/key",
        {"value": "5x", "valueType": "duration"},
    ),
    ("DELETE", "/api/admin/config/{category}/{key}"): ("/api/admin/config/Bad-Category/key", None),
    ("GET", "/api/admin/profiles"): ("/api/admin/profiles?emailType=welcome&emailStatus=lost", None),
    ("GET", "/api/export/csv"): ("/api/export/csv", None),
    ("GET", "/api/proxy/image"): ("/api/proxy/image?url=http%3A%2F%2Fexample.com%2Fa.jpg", None),
    ("POST", "/api/admin/config"): (
        "/api/admin/config",
        {"category": "test_documented", "key": "posted", "value": "5x", "valueType": "duration"},
    ),
}

# Requests that make an operation answer 409 (the user has no profile; {finished} is a completed job).
CONFLICTS: dict[tuple[str, str], tuple[str, Any]] = {
    ("PATCH", "/api/jobs/{job_id}"): ("/api/jobs/{finished}", {"action": "cancel"}),
    ("PATCH", "/api/onboarding/complete"): ("/api/onboarding/complete", None),
    ("PATCH", "/api/onboarding/step-2"): ("/api/onboarding/step-2", {"brandDescription": "x"}),
    ("POST", "/api/scraping/{platform}"): ("/api/scraping/tiktok", {"campaignId": "{campaign}", "targetUsername": "a"}),
}

# Statuses shown elsewhere because they need a set-up of their own.
ELSEWHERE = {
    ("POST", "/api/scraping/{platform}", "429"): "tests/test_job_limits.py (low per-user limits on their own database)",
    ("GET", "/api/proxy/image", "429"): "tests/test_image_proxy.py (a low per-user budget)",
    ("GET", "/api/jobs/{job_id}/creators", "429"): "tests/test_long_responses.py (exports held open up to the cap)",
    ("GET", "/api/jobs/{job_id}/creators.csv", "429"): "tests/test_long_responses.py (exports held open up to the cap)",
    ("GET", "/api/jobs/{job_id}/events", "429"): "tests/test_long_responses.py (streams held open up to the cap)",
    ("GET", "/api/export/csv", "429"): "tests/test_long_responses.py (exports held open up to the cap)",
    ("GET", "/api/campaigns/{campaign_id}/creators.csv", "429"): "tests/test_campaign_creators.py (the export cap)",
}


def request_for(method: str, path: str, status: str) -> tuple[str, Any] | None:
    """The request that should get `status` from this operation, or None if none is known."""
    key = (method, path)
    if status == "400":
        return BAD_INPUT.get(key)
    if status == "409":
        return CONFLICTS.get(key)
    if status in ("401", "403", "413"):
        return SAMPLES.get(key)
    if status == "404":
        url, body = SAMPLES[key]
        unknown = {"campaign": UNKNOWN, "job": UNKNOWN}
        return url.format(**unknown) if "{" in url else url, _fill(body, unknown)
    return None


def _fill(body: Any, values: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {k: _fill(v, values) for k, v in body.items()}
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return values[body[1:-1]]
    return body


@pytest.mark.parametrize(("method", "path", "status"), DOCUMENTED)
async def test_every_documented_4xx_occurs(
    client: Client, auth_for: TokenFactory, pool: asyncpg.Pool, user_id: str, method: str, path: str, status: str
) -> None:
    if (method, path, status) in ELSEWHERE:
        return
    request = request_for(method, path, status)
    assert request is not None, f"{status} is documented for {method} {path}: add a request that gets it"
    admin = path.startswith(ADMIN_PREFIXES) and status != "403"
    headers = {} if status == "401" else auth_for(user_id, admin=admin)
    if status == "403" and not path.startswith(ADMIN_PREFIXES):
        # A change authenticated by the session cookie, sent from no allowed origin (CSRF).
        token = headers.pop("Authorization").removeprefix("Bearer ")
        headers["Cookie"] = f"{SESSION_COOKIE}={token}"
    campaign = await create_campaign(client, auth_for(user_id))
    ids = {
        "campaign": campaign["id"],
        "job": await add_job(pool, campaign, status="processing", result_pages=1),
        "finished": await add_job(pool, campaign, status="completed"),
    }
    url, body = request
    if status == "404":
        ids |= {"campaign": UNKNOWN, "job": UNKNOWN}
    url = url.format(**ids)
    body = _fill(body, ids)
    if status == "413":
        response = await client.request(
            method,
            url,
            content=b'{"padding": "' + b"x" * 2_000_000 + b'"}',
            headers={**headers, "Content-Type": "application/json"},
        )
    else:
        response = await client.request(method, url, json=body, headers=headers)
    assert response.status_code == int(status), response.text
    assert set(response.json()) <= {"error", "details"}


def test_statuses_shown_elsewhere_are_still_documented() -> None:
    assert set(ELSEWHERE) <= set(DOCUMENTED)
