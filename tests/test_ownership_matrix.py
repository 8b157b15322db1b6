"""Every /api route, from the app's own route list: who may call it and what another user sees.

- A route that takes the id of a user's resource (in its path, query or body)
  answers another user 404 and changes nothing.
- A route that works on the caller's own data never shows or changes another
  user's rows.
- An admin route answers a user token 403 and changes nothing.
- A route that serves no user's data (the image proxy) shows none and changes nothing,
  whatever it answers.
- Every /api route answers 401 without a token.
A route that is missing from ROUTES fails the test: add it, with its kind.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.auth import admin_only
from tests.conftest import TokenFactory
from tests.factories import add_job, create_campaign, snapshot

Client = AsyncTestClient[Any]


@dataclass(frozen=True)
class World:
    """User A's data, which user B probes."""

    user_id: str
    campaign_id: str
    job_id: str


@dataclass(frozen=True)
class Route:
    kind: Literal["owned", "caller", "admin", "shared"]
    url: Callable[[World], str]
    body: Callable[[World], Any] | None = None


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/campaigns"): Route(
        "caller", lambda w: "/api/campaigns", lambda w: {"name": "B's", "searchType": "keyword"}
    ),
    ("GET", "/api/campaigns"): Route("caller", lambda w: "/api/campaigns?limit=100"),
    ("GET", "/api/campaigns/stats"): Route("caller", lambda w: "/api/campaigns/stats"),
    ("GET", "/api/campaigns/{campaign_id:str}"): Route("owned", lambda w: f"/api/campaigns/{w.campaign_id}"),
    ("PATCH", "/api/campaigns/{campaign_id:str}"): Route(
        "owned", lambda w: f"/api/campaigns/{w.campaign_id}", lambda w: {"name": "taken", "status": "completed"}
    ),
    ("DELETE", "/api/campaigns/{campaign_id:str}"): Route("owned", lambda w: f"/api/campaigns/{w.campaign_id}"),
    ("GET", "/api/campaigns/{campaign_id:str}/creators"): Route(
        "owned", lambda w: f"/api/campaigns/{w.campaign_id}/creators"
    ),
    ("GET", "/api/campaigns/{campaign_id:str}/creators.csv"): Route(
        "owned", lambda w: f"/api/campaigns/{w.campaign_id}/creators.csv"
    ),
    ("GET", "/api/campaigns/{campaign_id:str}/creators/{platform:str}/{handle:str}"): Route(
        "owned", lambda w: f"/api/campaigns/{w.campaign_id}/creators/tiktok/creator-0-0"
    ),
    ("PUT", "/api/campaigns/{campaign_id:str}/creators/{platform:str}/{handle:str}"): Route(
        "owned",
        lambda w: f"/api/campaigns/{w.campaign_id}/creators/tiktok/creator-0-0",
        lambda w: {"status": "hired", "note": "B was here"},
    ),
    ("POST", "/api/scraping/{platform:str}"): Route(
        "owned", lambda w: "/api/scraping/tiktok", lambda w: {"campaignId": w.campaign_id, "keywords": ["x"]}
    ),
    ("GET", "/api/scraping/{platform:str}"): Route("owned", lambda w: f"/api/scraping/tiktok?jobId={w.job_id}"),
    ("GET", "/api/jobs"): Route("caller", lambda w: "/api/jobs?limit=100"),
    ("GET", "/api/jobs/search"): Route("caller", lambda w: "/api/jobs/search?keyword=fashion"),
    ("GET", "/api/jobs/stats"): Route("caller", lambda w: "/api/jobs/stats"),
    ("GET", "/api/jobs/{job_id:str}"): Route("owned", lambda w: f"/api/jobs/{w.job_id}"),
    ("PATCH", "/api/jobs/{job_id:str}"): Route(
        "owned", lambda w: f"/api/jobs/{w.job_id}", lambda w: {"action": "cancel"}
    ),
    ("GET", "/api/jobs/{job_id:str}/creators"): Route("owned", lambda w: f"/api/jobs/{w.job_id}/creators"),
    ("GET", "/api/jobs/{job_id:str}/creators.csv"): Route("owned", lambda w: f"/api/jobs/{w.job_id}/creators.csv"),
    ("GET", "/api/jobs/{job_id:str}/events"): Route("owned", lambda w: f"/api/jobs/{w.job_id}/events"),
    ("POST", "/api/jobs/cleanup"): Route(
        "admin", lambda w: "/api/jobs/cleanup", lambda w: {"status": "completed", "olderThanDays": 0}
    ),
    ("PATCH", "/api/onboarding/step-1"): Route(
        "caller", lambda w: "/api/onboarding/step-1", lambda w: {"fullName": "B", "businessName": "B Co"}
    ),
    ("PATCH", "/api/onboarding/step-2"): Route(
        "caller", lambda w: "/api/onboarding/step-2", lambda w: {"brandDescription": "B's brand"}
    ),
    ("PATCH", "/api/onboarding/complete"): Route("caller", lambda w: "/api/onboarding/complete"),
    ("GET", "/api/onboarding/status"): Route("caller", lambda w: "/api/onboarding/status"),
    ("GET", "/api/profile"): Route("caller", lambda w: "/api/profile"),
    ("GET", "/api/export/csv"): Route("owned", lambda w: f"/api/export/csv?campaignId={w.campaign_id}"),
    ("GET", "/api/proxy/image"): Route("shared", lambda w: "/api/proxy/image?url=https%3A%2F%2Fexample.com%2Fa.jpg"),
    ("GET", "/api/admin/config"): Route("admin", lambda w: "/api/admin/config"),
    ("PUT", "/api/admin/config/{category:str}/{key:str}"): Route(
        "admin", lambda w: "/api/admin/config/worker/poll_interval", lambda w: {"value": "1h", "valueType": "duration"}
    ),
    ("POST", "/api/admin/config"): Route(
        "admin",
        lambda w: "/api/admin/config",
        lambda w: {"category": "worker", "key": "poll_interval", "value": "1h", "valueType": "duration"},
    ),
    ("POST", "/api/admin/config/init"): Route("admin", lambda w: "/api/admin/config/init"),
    ("DELETE", "/api/admin/config/{category:str}/{key:str}"): Route(
        "admin", lambda w: "/api/admin/config/worker/poll_interval"
    ),
    ("GET", "/api/admin/profiles"): Route("admin", lambda w: "/api/admin/profiles?emailType=welcome"),
}


def api_routes(client: Client) -> dict[tuple[str, str], bool]:
    """(method, path) of every /api route, and whether it is guarded as admin-only."""
    found = {}
    for route in client.app.routes:
        if not route.path.startswith("/api"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                guards = [getattr(guard, "func", guard) for guard in handler.resolve_guards()]
                found[(method, route.path)] = admin_only in guards
    return found


async def test_every_api_route_is_in_the_matrix(client: Client) -> None:
    routes = api_routes(client)
    assert set(routes) == set(ROUTES), "add new routes to ROUTES (and remove gone ones)"
    for key, admin in routes.items():
        assert admin == (ROUTES[key].kind == "admin"), f"{key}: the admin guard and the matrix disagree"


@pytest.fixture
async def world(client: Client, auth_for: TokenFactory, pool: asyncpg.Pool, user_id: str) -> World:
    auth = auth_for(user_id, email="a@a.example")
    campaign = await create_campaign(client, auth, name="A's campaign")
    job_id = await add_job(pool, campaign, status="processing", keywords=["fashion"], result_pages=2)
    assert (
        await client.patch("/api/onboarding/step-1", json={"fullName": "A", "businessName": "A Co"}, headers=auth)
    ).status_code == 200
    return World(user_id=user_id, campaign_id=campaign["id"], job_id=job_id)


async def state_of(client: Client, auth: dict[str, str], pool: asyncpg.Pool, world: World) -> tuple[str, str, str]:
    config = (await client.get("/api/admin/config", headers=auth)).text
    profile = (await client.get("/api/profile", headers=auth)).text
    return await snapshot(pool, world.campaign_id), profile, config


@pytest.mark.parametrize("key", sorted(ROUTES))
async def test_another_user_cannot_see_or_change_anything(
    client: Client, auth_for: TokenFactory, pool: asyncpg.Pool, world: World, other_user_id: str, key: tuple[str, str]
) -> None:
    route = ROUTES[key]
    a = {**auth_for(world.user_id, admin=True)}  # A reads everything back, including admin state
    b = auth_for(other_user_id)
    before = await state_of(client, a, pool, world)

    body = route.body(world) if route.body else None
    response = await client.request(key[0], route.url(world), json=body, headers=b)

    if route.kind == "owned":
        assert response.status_code == 404, response.text
    elif route.kind == "admin":
        assert response.status_code == 403
        assert response.json() == {"error": "This route needs an admin token"}
    else:
        if route.kind == "caller":
            assert response.status_code < 400 or response.status_code in (404, 409), response.text
        for secret in (world.user_id, world.campaign_id, world.job_id):
            assert secret not in response.text
    assert await state_of(client, a, pool, world) == before


@pytest.mark.parametrize("key", sorted(ROUTES))
async def test_no_token_is_401(client: Client, world: World, key: tuple[str, str]) -> None:
    route = ROUTES[key]
    body = route.body(world) if route.body else None
    response = await client.request(key[0], route.url(world), json=body)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
