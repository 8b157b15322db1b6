"""Onboarding steps and the profile, through HTTP."""

import asyncio
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.api.onboarding import Profile
from tests.conftest import TokenFactory
from tests.factories import fixtures

Client = AsyncTestClient[Any]
STEP_ONE = {"fullName": "  Ann Lee ", "businessName": " Acme Corp "}


async def profile_of(client: Client, auth: dict[str, str]) -> Profile:
    response = await client.get("/api/profile", headers=auth)
    assert response.status_code == 200, response.text
    return msgspec.json.decode(response.content, type=Profile)


async def test_step_one_creates_the_profile_and_schedules_the_welcome_email(
    client: Client, auth_for: TokenFactory, user_id: str
) -> None:
    auth = auth_for(user_id, email="ann@acme.example")
    assert (await client.get("/api/profile", headers=auth)).status_code == 404

    response = await client.patch("/api/onboarding/step-1", json=STEP_ONE, headers=auth)
    assert response.status_code == 200
    assert response.json() == {"success": True}

    profile = await profile_of(client, auth)
    assert (profile.full_name, profile.business_name) == ("Ann Lee", "Acme Corp")
    assert profile.onboarding_step == "info_captured"
    assert profile.email == "ann@acme.example"
    welcome = profile.email_schedule_status["welcome"]
    assert welcome["status"] == "scheduled"
    assert welcome["scheduledAt"]


async def test_steps_move_forward_and_repeats_never_move_back(client: Client, auth: dict[str, str]) -> None:
    assert (await client.patch("/api/onboarding/step-1", json=STEP_ONE, headers=auth)).status_code == 200
    step_two = {"brandDescription": "We make tools for makers."}
    assert (await client.patch("/api/onboarding/step-2", json=step_two, headers=auth)).status_code == 200
    assert (await profile_of(client, auth)).onboarding_step == "intent_captured"

    renamed = {"fullName": "Ann B. Lee", "businessName": "Acme"}
    assert (await client.patch("/api/onboarding/step-1", json=renamed, headers=auth)).status_code == 200
    profile = await profile_of(client, auth)
    assert (profile.full_name, profile.onboarding_step) == ("Ann B. Lee", "intent_captured")

    assert (await client.patch("/api/onboarding/complete", headers=auth)).status_code == 200
    again = {"brandDescription": "Tools for makers and menders."}
    assert (await client.patch("/api/onboarding/step-2", json=again, headers=auth)).status_code == 200
    profile = await profile_of(client, auth)
    assert (profile.brand_description, profile.onboarding_step) == ("Tools for makers and menders.", "completed")
    assert (await client.patch("/api/onboarding/complete", headers=auth)).status_code == 200


async def test_steps_out_of_order_are_409(client: Client, auth: dict[str, str]) -> None:
    early_two = await client.patch("/api/onboarding/step-2", json={"brandDescription": "x"}, headers=auth)
    assert early_two.status_code == 409
    assert early_two.json() == {"error": "Complete onboarding step 1 first"}
    assert (await client.patch("/api/onboarding/complete", headers=auth)).status_code == 409
    await client.patch("/api/onboarding/step-1", json=STEP_ONE, headers=auth)
    early_complete = await client.patch("/api/onboarding/complete", headers=auth)
    assert early_complete.status_code == 409
    assert (await profile_of(client, auth)).onboarding_step == "info_captured"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("step-1", {"businessName": "Acme"}, "fullName"),
        ("step-1", {"fullName": "Ann"}, "businessName"),
        ("step-1", {"fullName": "   ", "businessName": "Acme"}, "fullName"),
        ("step-1", {"fullName": "A" * 101, "businessName": "Acme"}, "fullName"),
        ("step-1", {"fullName": "Ann", "businessName": 42}, "businessName"),
        ("step-1", {"fullName": "Ann", "businessName": "Acme", "role": "admin"}, "role"),
        ("step-2", {"brandDescription": ""}, "brandDescription"),
        ("step-2", {"brandDescription": "d" * 2001}, "brandDescription"),
        ("step-2", {"brandDescription": None}, "brandDescription"),
    ],
)
async def test_bad_input_is_400_and_writes_nothing(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool, path: str, body: dict[str, Any], field: str
) -> None:
    if path == "step-2":
        await client.patch("/api/onboarding/step-1", json=STEP_ONE, headers=auth)
    before = await client.get("/api/profile", headers=auth)

    response = await client.patch(f"/api/onboarding/{path}", json=body, headers=auth)
    assert response.status_code == 400
    assert field in response.json()["error"]
    after = await client.get("/api/profile", headers=auth)
    assert after.text == before.text
    async with pool.acquire() as conn:
        assert await fixtures.count_profiles(conn, user_id=user_id) == (1 if path == "step-2" else 0)


async def test_profiles_are_per_user(client: Client, auth: dict[str, str], other_auth: dict[str, str]) -> None:
    await client.patch("/api/onboarding/step-1", json=STEP_ONE, headers=auth)
    assert (await client.get("/api/profile", headers=other_auth)).status_code == 404
    assert (await client.patch("/api/onboarding/complete", headers=other_auth)).status_code == 409
    assert (await profile_of(client, auth)).onboarding_step == "info_captured"


async def test_concurrent_first_calls_make_one_profile_with_one_welcome_email(
    client: Client, auth: dict[str, str], user_id: str, pool: asyncpg.Pool
) -> None:
    bodies = [{"fullName": f"Ann {i}", "businessName": "Acme"} for i in range(8)]
    responses = await asyncio.gather(
        *(client.patch("/api/onboarding/step-1", json=body, headers=auth) for body in bodies)
    )
    assert {r.status_code for r in responses} == {200}
    async with pool.acquire() as conn:
        assert await fixtures.count_profiles(conn, user_id=user_id) == 1
        welcome = await fixtures.email_state(conn, user_id=user_id, email_type="welcome")
    assert welcome["status"] == "scheduled"
    assert welcome["attempts"] == 0


async def test_profile_without_token_is_401(client: Client) -> None:
    assert (await client.get("/api/profile")).status_code == 401
    assert (await client.patch("/api/onboarding/step-1", json=STEP_ONE)).status_code == 401
