"""The one mapping from failures to statuses, checked without a server."""

import asyncpg
import msgspec
import pytest
from litestar.exceptions import HTTPException, PermissionDeniedException

from service.auth import Principal, admin_only
from service.errors import InvalidInput, camel_case, http_exception_handler, postgres_error_handler
from service.validation import clean_optional_text, clean_text, parse_id


class FakeRequest:
    method = "GET"

    class url:  # noqa: N801 (mimics Request.url)
        path = "/api/x"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (asyncpg.UniqueViolationError, 409),
        (asyncpg.ForeignKeyViolationError, 409),
        (asyncpg.CheckViolationError, 400),
        (asyncpg.NotNullViolationError, 400),
        (asyncpg.InvalidTextRepresentationError, 400),
        (asyncpg.StringDataRightTruncationError, 400),
        (asyncpg.QueryCanceledError, 503),
        (asyncpg.TooManyConnectionsError, 503),
        (asyncpg.AdminShutdownError, 503),
        (asyncpg.DeadlockDetectedError, 503),
        (asyncpg.UndefinedTableError, 500),
    ],
)
def test_sqlstates_map_to_statuses_without_leaking_driver_text(error: type[Exception], status: int) -> None:
    exc = error('relation "secret_table" violates SELECT * FROM users')
    response = postgres_error_handler(FakeRequest(), exc)  # type: ignore[arg-type]
    assert response.status_code == status
    body = msgspec.json.decode(response.content)
    assert set(body) == {"error"}
    assert "secret_table" not in body["error"]
    assert "SELECT" not in body["error"]
    assert ("Retry-After" in response.headers) == (status == 503), "every 503 says when to retry"


def test_camel_case() -> None:
    assert [camel_case(n) for n in ("has_active_jobs", "limit", "body")] == ["hasActiveJobs", "limit", "body"]


def test_text_cleaning() -> None:
    assert clean_text("  Acme  ", "name", max_length=4) == "Acme"
    assert clean_optional_text("   ", "description", max_length=5) is None
    assert clean_optional_text(None, "description", max_length=5) is None
    for bad in ("", "   ", "Acme!"):
        with pytest.raises(InvalidInput):
            clean_text(bad, "name", max_length=4)


def test_parse_id() -> None:
    assert str(parse_id("550e8400-e29b-41d4-a716-446655440000")) == "550e8400-e29b-41d4-a716-446655440000"
    with pytest.raises(InvalidInput, match="UUID"):
        parse_id("550e8400")


class FakeConnection:
    def __init__(self, user: Principal | None, method: str = "GET") -> None:
        self.user = user
        self.scope = {"method": method}


def test_admin_guard() -> None:
    admin_only(FakeConnection(Principal("u", is_admin=True)), None)  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedException):
        admin_only(FakeConnection(Principal("u")), None)  # type: ignore[arg-type]
    admin_only(FakeConnection(None, method="OPTIONS"), None)  # type: ignore[arg-type]


def test_framework_5xx_details_are_not_shown() -> None:
    exc = HTTPException(detail="'user' is not defined in scope, install an AuthMiddleware", status_code=500)
    response = http_exception_handler(FakeRequest(), exc)  # type: ignore[arg-type]
    assert (response.status_code, msgspec.json.decode(response.content)) == (500, {"error": "Internal server error"})
