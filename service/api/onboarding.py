"""Onboarding steps and the caller's profile."""

from typing import Any, Literal

import msgspec
from litestar import Controller, Response, get, patch
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody

from service.api.shapes import Instant, Shape, documented, errors, json_response
from service.auth import AuthRequest
from service.database import connection, queries
from service.errors import Conflict
from service.validation import (
    BRAND_DESCRIPTION_MAX,
    PERSON_NAME_MAX,
    BrandDescription,
    PersonName,
    clean_email_address,
    clean_header_text,
    clean_text,
)

OnboardingStep = Literal["pending", "info_captured", "intent_captured", "completed"]


class StepOne(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    full_name: PersonName
    business_name: PersonName


class StepTwo(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    brand_description: BrandDescription


class Success(msgspec.Struct):
    success: bool = True


class Profile(Shape):
    user_id: str
    name: str | None
    company_name: str | None
    industry: str | None
    email: str | None
    signup_timestamp: Instant
    onboarding_step: OnboardingStep
    full_name: str | None
    business_name: str | None
    brand_description: str | None
    email_schedule_status: dict[str, dict[str, Any]]
    created_at: Instant
    updated_at: Instant


class OnboardingStatus(Shape):
    user_id: str
    onboarding_step: OnboardingStep
    full_name: str | None
    business_name: str | None
    brand_description: str | None
    signup_timestamp: Instant


class OnboardingController(Controller):
    path = "/api/onboarding"
    tags = ["onboarding"]  # noqa: RUF012 (Litestar reads these class attributes)

    @get("/status", responses={**documented(200, OnboardingStatus, "Where the caller is"), **errors(404)})
    async def status(self, request: AuthRequest, state: State) -> Response[bytes]:
        """The caller's onboarding step and answers so far (404 before step 1), for the old dashboard."""
        async with connection(state) as db:
            found = await queries.get_onboarding_status(db, user_id=request.user.user_id)
        if found is None:
            raise NotFoundException("User profile not found")
        return json_response(found)

    @patch("/step-1", responses=errors(400, 413))
    async def step_one(self, request: AuthRequest, state: State, data: JSONBody[StepOne]) -> Success:
        """Save the user's name and business; creates the profile and schedules the welcome email."""
        full_name = clean_header_text(data.full_name, "fullName", max_length=PERSON_NAME_MAX)
        business_name = clean_header_text(data.business_name, "businessName", max_length=PERSON_NAME_MAX)
        email = clean_email_address(request.user.email) if request.user.email else None
        async with connection(state) as db:
            await queries.save_onboarding_step_one(
                db,
                user_id=request.user.user_id,
                full_name=full_name,
                business_name=business_name,
                email=email,
            )
        return Success()

    @patch("/step-2", responses=errors(400, 409, 413))
    async def step_two(self, request: AuthRequest, state: State, data: JSONBody[StepTwo]) -> Success:
        """Save the brand description (after step 1)."""
        description = clean_text(data.brand_description, "brandDescription", max_length=BRAND_DESCRIPTION_MAX)
        async with connection(state) as db:
            step = await queries.save_onboarding_step_two(
                db, user_id=request.user.user_id, brand_description=description
            )
        if step is None:
            raise Conflict("Complete onboarding step 1 first")
        return Success()

    @patch("/complete", responses=errors(409))
    async def complete(self, request: AuthRequest, state: State) -> Success:
        """Finish onboarding (after steps 1 and 2)."""
        async with connection(state) as db:
            step = await queries.complete_onboarding(db, user_id=request.user.user_id)
        if step is None:
            raise Conflict("Complete onboarding steps 1 and 2 first")
        return Success()


@get("/api/profile", tags=["onboarding"], responses={**documented(200, Profile, "The profile"), **errors(404)})
async def get_profile(request: AuthRequest, state: State) -> Response[bytes]:
    """The caller's profile (404 before onboarding step 1)."""
    async with connection(state) as db:
        profile = await queries.get_profile(db, user_id=request.user.user_id)
    if profile is None:
        raise NotFoundException("Profile not found; complete onboarding step 1 first")
    return json_response(profile)
