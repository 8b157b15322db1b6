"""The `__session` cookie: the same token as the bearer header, and refused from other sites.

The old frontend sends no Authorization header; the browser attaches Clerk's
session cookie instead. A state-changing request authenticated by the cookie
must come from ALLOWED_ORIGINS (Origin, else Referer), or a page elsewhere
could make the browser send it (cross-site request forgery).
"""

from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.auth import TokenVerifier
from service.origins import normalised_origin, parse_allowed_origins, request_origin
from service.settings import SettingsError, load_settings
from tests.conftest import FRONTEND_ORIGIN
from tests.factories import fixtures

Client = AsyncTestClient[Any]
NEW_CAMPAIGN = {"name": "From the cookie", "description": "", "searchType": "keyword"}


def cookie(verifier: TokenVerifier, user_id: str, **claims: Any) -> dict[str, str]:
    return {"Cookie": f"__session={verifier.issue(user_id, **claims)}"}


async def campaigns_of(pool: asyncpg.Pool, user_id: str) -> int:
    async with pool.acquire() as conn:
        counts = await fixtures.count_user_rows(conn, user_id=user_id)
    return int(counts["campaigns"])


async def test_a_read_with_the_cookie_alone(client: Client, verifier: TokenVerifier, user_id: str) -> None:
    response = await client.get("/api/campaigns?page=1&limit=12", headers=cookie(verifier, user_id))
    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 0


async def test_a_write_from_the_frontend_origin(
    client: Client, verifier: TokenVerifier, pool: asyncpg.Pool, user_id: str
) -> None:
    response = await client.post(
        "/api/campaigns", json=NEW_CAMPAIGN, headers={**cookie(verifier, user_id), "Origin": FRONTEND_ORIGIN}
    )
    assert response.status_code == 201, response.text
    assert response.json()["userId"] == user_id
    assert await campaigns_of(pool, user_id) == 1


async def test_a_write_with_only_a_referer_from_the_frontend(
    client: Client, verifier: TokenVerifier, pool: asyncpg.Pool, user_id: str
) -> None:
    headers = {**cookie(verifier, user_id), "Referer": f"{FRONTEND_ORIGIN}/campaigns/new?x=1"}
    response = await client.post("/api/campaigns", json=NEW_CAMPAIGN, headers=headers)
    assert response.status_code == 201, response.text
    assert await campaigns_of(pool, user_id) == 1


@pytest.mark.parametrize(
    "where",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:3001"},  # another port is another origin
        {"Origin": "https://localhost:3000"},  # and so is another scheme
        {"Origin": "null"},  # a sandboxed or privacy-hidden origin
        {"Referer": "https://evil.example/page"},
        {"Origin": "https://evil.example", "Referer": f"{FRONTEND_ORIGIN}/"},  # Origin is what counts
        {},  # neither header
    ],
)
async def test_a_cross_site_write_with_the_cookie_is_403_and_changes_nothing(
    client: Client, verifier: TokenVerifier, pool: asyncpg.Pool, user_id: str, where: dict[str, str]
) -> None:
    for method, url, body in (
        ("POST", "/api/campaigns", NEW_CAMPAIGN),
        ("PATCH", "/api/onboarding/step-1", {"fullName": "Eve", "businessName": "Evil"}),
    ):
        response = await client.request(method, url, json=body, headers={**cookie(verifier, user_id), **where})
        assert response.status_code == 403, response.text
        assert "allowed origin" in response.json()["error"]
    assert await campaigns_of(pool, user_id) == 0
    assert (await client.get("/api/profile", headers=cookie(verifier, user_id))).status_code == 404


async def test_the_bearer_header_needs_no_origin(client: Client, verifier: TokenVerifier, user_id: str) -> None:
    headers = {"Authorization": f"Bearer {verifier.issue(user_id)}", "Origin": "https://evil.example"}
    assert (await client.post("/api/campaigns", json=NEW_CAMPAIGN, headers=headers)).status_code == 201


async def test_the_header_wins_over_the_cookie(
    client: Client, verifier: TokenVerifier, user_id: str, other_user_id: str
) -> None:
    both = {"Authorization": f"Bearer {verifier.issue(user_id)}", **cookie(verifier, other_user_id)}
    created = await client.post("/api/campaigns", json=NEW_CAMPAIGN, headers=both)
    assert created.status_code == 201
    assert created.json()["userId"] == user_id
    # A bad header is not rescued by a good cookie.
    bad_header = {"Authorization": "Bearer not-a-token", **cookie(verifier, user_id)}
    assert (await client.get("/api/campaigns", headers=bad_header)).status_code == 401
    # A good header is not spoiled by a bad cookie.
    bad_cookie = {"Authorization": f"Bearer {verifier.issue(user_id)}", "Cookie": "__session=garbage"}
    assert (await client.get("/api/campaigns", headers=bad_cookie)).status_code == 200


@pytest.mark.parametrize(
    "value",
    ["garbage", "", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0."],  # malformed, empty, alg none
)
async def test_a_bad_cookie_is_401(client: Client, value: str) -> None:
    response = await client.get("/api/campaigns", headers={"Cookie": f"__session={value}"})
    assert response.status_code == 401
    assert set(response.json()) == {"error"}


async def test_an_expired_cookie_is_401(client: Client, verifier: TokenVerifier, user_id: str) -> None:
    expired = TokenVerifier(secret=verifier._secret, clock=lambda: 1_000_000.0).issue(user_id, ttl_seconds=60)
    response = await client.get("/api/campaigns", headers={"Cookie": f"__session={expired}"})
    assert response.status_code == 401


async def test_other_cookies_are_not_tokens(client: Client, verifier: TokenVerifier, user_id: str) -> None:
    response = await client.get("/api/campaigns", headers={"Cookie": f"__client={verifier.issue(user_id)}"})
    assert response.status_code == 401


async def test_admin_routes_by_cookie_need_the_admin_role_and_the_origin(
    client: Client, verifier: TokenVerifier, user_id: str
) -> None:
    admin = {**cookie(verifier, user_id, admin=True), "Origin": FRONTEND_ORIGIN}
    assert (await client.get("/api/admin/config", headers=cookie(verifier, user_id, admin=True))).status_code == 200
    assert (await client.post("/api/admin/config/init", headers=admin)).status_code == 200
    foreign = {**cookie(verifier, user_id, admin=True), "Origin": "https://evil.example"}
    assert (await client.post("/api/admin/config/init", headers=foreign)).status_code == 403
    assert (await client.get("/api/admin/config", headers=cookie(verifier, user_id))).status_code == 403


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com:443/", "https://app.example.com"),
        ("http://localhost:3000/campaigns?x=1", "http://localhost:3000"),
        ("http://[::1]:8080/x", "http://[::1]:8080"),
        ("null", None),
        ("ftp://files.example", None),
        ("https://", None),
        ("http://host:99999", None),
    ],
)
def test_normalised_origin(text: str, origin: str | None) -> None:
    assert normalised_origin(text) == origin


def test_allowed_origins_setting() -> None:
    assert parse_allowed_origins(" https://a.example , http://localhost:3000/,") == {
        "https://a.example",
        "http://localhost:3000",
    }
    assert parse_allowed_origins("") == frozenset()
    for bad in ("https://a.example/app", "a.example", "*"):
        with pytest.raises(ValueError, match="not an origin"):
            parse_allowed_origins(bad)


def test_origin_comes_before_referer() -> None:
    assert request_origin("https://a.example", "https://b.example/x") == "https://a.example"
    assert request_origin(None, "https://b.example/x") == "https://b.example"
    assert request_origin("null", "https://b.example/x") is None
    assert request_origin(None, None) is None


def test_a_bad_allowed_origin_stops_start_up() -> None:
    with pytest.raises(SettingsError, match="not an origin"):
        load_settings({"ALLOWED_ORIGINS": "https://a.example/app"})
