"""Input PostgreSQL cannot store (NUL) and text that would break an email header: refused by
validation, field by field, before any database work (so even with the database down)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.settings import Settings
from service.validation import unstorable_field
from tests.conftest import SECRET, TokenFactory
from tests.factories import create_campaign
from tests.processes import free_port

Client = AsyncTestClient[Any]
NUL = "\x00"
QUERY_NUL = "%00"

# (method, path, JSON body, the field the 400 names)
POISONED = [
    ("POST", "/api/campaigns", {"name": f"a{NUL}b", "searchType": "keyword"}, "name"),
    ("POST", "/api/campaigns", {"name": "ok", "description": NUL, "searchType": "keyword"}, "description"),
    ("PATCH", "/api/onboarding/step-1", {"fullName": f"Ann{NUL}", "businessName": "Acme"}, "fullName"),
    ("PATCH", "/api/onboarding/step-2", {"brandDescription": f"x{NUL}"}, "brandDescription"),
    ("GET", f"/api/jobs/search?keyword=a{QUERY_NUL}", None, "keyword"),
    ("GET", f"/api/jobs?platform={QUERY_NUL}", None, "platform"),
    ("GET", f"/api/campaigns?cursor={QUERY_NUL}", None, "cursor"),
    ("GET", f"/api/admin/profiles?emailType={QUERY_NUL}", None, "emailType"),
]


@pytest.fixture(scope="module")
async def database_down() -> AsyncIterator[tuple[Client, TokenVerifier]]:
    """The app with its database unreachable."""
    settings = Settings(auth_jwt_secret=SECRET, db_pool_min_size=0, access_log=False, run_worker=False)
    verifier = TokenVerifier.from_settings(settings)
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    async with AsyncTestClient(app=create_app(settings, dsn, verifier)) as client:
        yield client, verifier


@pytest.mark.parametrize(("method", "path", "body", "field"), POISONED)
async def test_nul_is_a_400_naming_the_field(
    client: Client, admin_auth: dict[str, str], method: str, path: str, body: Any, field: str
) -> None:
    response = await client.request(method, path, json=body, headers=admin_auth)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"field": field, "message": "must not contain the NUL character (U+0000)"}]


@pytest.mark.parametrize(("method", "path", "body", "field"), POISONED)
async def test_nul_needs_no_database(
    database_down: tuple[Client, TokenVerifier], method: str, path: str, body: Any, field: str
) -> None:
    client, verifier = database_down
    headers = {"Authorization": f"Bearer {verifier.issue('user_offline', admin=True)}"}
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["field"] == field
    healthy_input = await client.get("/api/campaigns", headers=headers)
    assert healthy_input.status_code == 503, "the database really is down"


async def test_nul_inside_a_jobs_keywords(client: Client, auth: dict[str, str]) -> None:
    campaign = await create_campaign(client, auth)
    response = await client.post(
        "/api/scraping/tiktok", json={"campaignId": campaign["id"], "keywords": ["ok", f"x{NUL}"]}, headers=auth
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "keywords[1]"


def test_the_field_path_of_nested_text() -> None:
    assert unstorable_field({"a": {"b": ["x", f"y{NUL}"]}}) == "a.b[1]"
    assert unstorable_field({"a": 1, "b": [True, None]}) is None
    assert unstorable_field(f"{NUL}") == "body"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fullName": "Ann\r\nBcc: all@victims.example", "businessName": "Acme"}, "fullName"),
        ({"fullName": "Ann", "businessName": "Acme\nX-Spam: yes"}, "businessName"),
        ({"fullName": "Ann\u2028Lee", "businessName": "Acme"}, "fullName"),
        ({"fullName": "Ann\x07", "businessName": "Acme"}, "fullName"),
    ],
)
async def test_header_bound_names_refuse_control_characters(
    client: Client, auth: dict[str, str], body: dict[str, str], field: str
) -> None:
    response = await client.patch("/api/onboarding/step-1", json=body, headers=auth)
    assert response.status_code == 400, response.text
    # Refused by the field's documented pattern (service/validation.py PersonName) before the handler runs.
    assert [detail["field"] for detail in response.json()["details"]] == [field]
    assert (await client.get("/api/profile", headers=auth)).status_code == 404, "nothing stored"


async def test_a_token_address_with_a_line_break_is_refused(client: Client, auth_for: TokenFactory) -> None:
    headers = auth_for("user_crlf_email", email="ann@acme.example\r\nBcc: all@victims.example")
    response = await client.patch(
        "/api/onboarding/step-1", json={"fullName": "Ann", "businessName": "A"}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "email"
