"""Administration routes: configuration entries and profiles by email status."""

import uuid
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.api.admin import ConfigEntry, ConfigListing, ProfileList
from service.database import queries
from tests.conftest import TokenFactory
from tests.plans import plan_of

Client = AsyncTestClient[Any]


async def listed_entries(client: Client, admin_auth: dict[str, str]) -> list[dict[str, Any]]:
    """Every stored entry, from the listing's categories."""
    listing = (await client.get("/api/admin/config", headers=admin_auth)).json()
    return [entry for entries in listing["configurations"].values() for entry in entries]


async def stored_entry(client: Client, admin_auth: dict[str, str], path: str) -> dict[str, Any] | None:
    """The stored entry of `category/key`, if any (other tests may store the defaults)."""
    found = [e for e in await listed_entries(client, admin_auth) if f"{e['category']}/{e['key']}" == path]
    return found[0] if found else None


def config_path() -> tuple[str, str]:
    """A key of this test's own, so that tests never share an entry."""
    return "test_settings", f"key_{uuid.uuid4().hex[:12]}"


async def test_put_list_and_delete_an_entry(client: Client, admin_auth: dict[str, str]) -> None:
    category, key = config_path()
    url = f"/api/admin/config/{category}/{key}"
    body = {"value": "45s", "valueType": "duration", "description": "How long", "isHotReloadable": False}
    created = await client.put(url, json=body, headers=admin_auth)
    assert created.status_code == 200
    entry = msgspec.json.decode(created.content, type=ConfigEntry)
    assert (entry.category, entry.key, entry.value, entry.value_type) == (category, key, "45s", "duration")
    assert (entry.description, entry.is_hot_reloadable) == ("How long", "false")

    changed = await client.put(url, json={"value": "2m", "valueType": "duration"}, headers=admin_auth)
    updated = msgspec.json.decode(changed.content, type=ConfigEntry)
    assert (updated.value, updated.description, updated.is_hot_reloadable) == ("2m", "How long", "false")
    assert updated.id == entry.id
    assert updated.created_at == entry.created_at

    listed = msgspec.json.decode(
        (await client.get("/api/admin/config", headers=admin_auth)).content, type=ConfigListing
    )
    assert [(e.key, e.value) for e in listed.configurations[category] if e.key == key] == [(key, "2m")]
    assert listed.total_count == sum(map(len, listed.configurations.values()))
    assert listed.categories == sorted(listed.configurations)
    # The flat list of the routes' contract holds the same entries, by category and key.
    assert listed.configs == [e for c in listed.categories for e in listed.configurations[c]]

    deleted = await client.delete(url, headers=admin_auth)
    assert deleted.status_code == 200
    assert (await client.delete(url, headers=admin_auth)).status_code == 404


@pytest.mark.parametrize(
    ("value", "value_type"),
    [(5, "number"), (True, "boolean"), ({"tiers": [1, 2]}, "json"), ("[1, 2]", "json"), ("hello", "string")],
)
async def test_values_of_every_type_are_stored_as_text(
    client: Client, admin_auth: dict[str, str], value: Any, value_type: str
) -> None:
    category, key = config_path()
    response = await client.put(
        f"/api/admin/config/{category}/{key}", json={"value": value, "valueType": value_type}, headers=admin_auth
    )
    assert response.status_code == 200
    assert isinstance(response.json()["value"], str)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("test_settings/limit", {"value": "abc", "valueType": "number"}, "value"),
        ("test_settings/timeout", {"value": "5x", "valueType": "duration"}, "value"),
        ("test_settings/flag", {"value": "yes", "valueType": "boolean"}, "value"),
        ("test_settings/blob", {"value": "{", "valueType": "json"}, "value"),
        ("test_settings/list", {"value": [1], "valueType": "number"}, "value"),
        ("test_settings/kind", {"value": "1", "valueType": "integer"}, "valueType"),
        ("test_settings/missing", {"valueType": "string"}, "value"),
        ("Bad-Category/key", {"value": "1", "valueType": "number"}, "category"),
        ("test_settings/" + "k" * 101, {"value": "1", "valueType": "number"}, "key"),
        ("api_limits/max_api_calls_tiktok", {"value": "5", "valueType": "string"}, "valueType"),
    ],
)
async def test_bad_entries_are_400_and_store_nothing(
    client: Client, admin_auth: dict[str, str], path: str, body: dict[str, Any], field: str
) -> None:
    before = await stored_entry(client, admin_auth, path)
    response = await client.put(f"/api/admin/config/{path}", json=body, headers=admin_auth)
    assert response.status_code == 400
    assert field in response.json()["error"]
    assert await stored_entry(client, admin_auth, path) == before


async def signed_up(pool: asyncpg.Pool, email_status: str | None) -> str:
    user_id = f"user_{uuid.uuid4().hex}"
    async with pool.acquire() as conn:
        await queries.save_onboarding_step_one(conn, user_id=user_id, full_name="Ann", business_name="Acme", email=None)
        if email_status == "failed":
            claim = await queries.claim_due_email(conn, email_type="welcome", lease_seconds=30)
            assert claim is not None
            await queries.mark_email_failed(
                conn, user_id=claim.user_id, email_type="welcome", attempt=claim.attempt, error="test"
            )
    return user_id


async def test_profiles_by_email_type_and_status(
    client: Client, admin_auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    scheduled = await signed_up(pool, None)
    response = await client.get(
        "/api/admin/profiles",
        params={"emailType": "welcome", "emailStatus": "scheduled", "limit": 1000},
        headers=admin_auth,
    )
    assert response.status_code == 200
    profiles = msgspec.json.decode(response.content, type=ProfileList).profiles
    assert scheduled in {p.user_id for p in profiles}
    assert {p.email_schedule_status["welcome"]["status"] for p in profiles} == {"scheduled"}

    anything = await client.get(
        "/api/admin/profiles", params={"emailType": "welcome", "limit": 1000}, headers=admin_auth
    )
    assert scheduled in {p["userId"] for p in anything.json()["profiles"]}
    nothing = await client.get("/api/admin/profiles", params={"emailType": "newsletter"}, headers=admin_auth)
    assert nothing.json() == {"profiles": []}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "emailType"),
        ({"emailType": "welcome", "emailStatus": "lost"}, "emailStatus"),
        ({"emailType": "Welcome!"}, "emailType"),
        ({"emailType": "welcome", "limit": 0}, "limit"),
    ],
)
async def test_bad_profile_filters_are_400(
    client: Client, admin_auth: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/admin/profiles", params=params, headers=admin_auth)
    assert response.status_code == 400
    assert field in response.json()["error"]


ADMIN_ROUTES = [
    ("GET", "/api/admin/config", None),
    ("PUT", "/api/admin/config/test_settings/guarded", {"value": "1", "valueType": "number"}),
    ("DELETE", "/api/admin/config/test_settings/guarded", None),
    ("GET", "/api/admin/profiles?emailType=welcome", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_admin_routes_refuse_users_and_anonymous_callers(
    client: Client, auth_for: TokenFactory, method: str, path: str, body: dict[str, Any] | None
) -> None:
    user = await client.request(method, path, json=body, headers=auth_for("user_not_admin"))
    assert user.status_code == 403
    assert user.json() == {"error": "This route needs an admin token"}
    assert (await client.request(method, path, json=body)).status_code == 401


async def test_a_refused_put_changes_nothing(
    client: Client, auth_for: TokenFactory, admin_auth: dict[str, str]
) -> None:
    await client.put(
        "/api/admin/config/test_settings/guarded",
        json={"value": "1", "valueType": "number"},
        headers=auth_for("user_x"),
    )
    listed = await listed_entries(client, admin_auth)
    assert not [e for e in listed if e["key"] == "guarded"]


async def test_the_email_status_filter_is_served_by_the_gin_index(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        plan = await plan_of(
            conn, "list_profiles_by_email_status", email_type="welcome", email_status="sent", page_size=10
        )
    assert "user_profiles_email_status_gin" in plan


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("api_limits/max_active_jobs_per_user", "1e300"),
        ("api_limits/max_active_jobs_per_user", -5),
        ("api_limits/max_active_jobs_per_user", 2.5),
        ("timeouts/standard_job_timeout", "100000000000d"),
        ("email/max_attempts", 0),
    ],
)
async def test_values_outside_a_keys_bounds_are_400_and_store_nothing(
    client: Client, admin_auth: dict[str, str], key: str, value: Any
) -> None:
    value_type = "duration" if key.startswith("timeouts") else "number"
    before = await stored_entry(client, admin_auth, key)
    response = await client.put(
        f"/api/admin/config/{key}", json={"value": value, "valueType": value_type}, headers=admin_auth
    )
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [
        {"field": "value", "message": response.json()["error"].removeprefix("value ")}
    ]
    category, name = key.split("/")
    old_page = await client.post(
        "/api/admin/config",
        json={"category": category, "key": name, "value": value, "valueType": value_type, "description": "x"},
        headers=admin_auth,
    )
    assert old_page.status_code == 400, "the old admin page's route checks the same bounds"
    assert await stored_entry(client, admin_auth, key) == before
