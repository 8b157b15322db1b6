"""Operations routes, the OpenAPI document, and the error body of the framework's own errors."""

import logging
import re
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import TimedAdapter
from service.migrations import apply_pending, migration_ids, rollback
from service.paths import PROJECT_ROOT
from service.settings import Settings
from tests.factories import create_campaign

Client = AsyncTestClient[Any]


async def test_health_and_ready(client: Client) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def ready_answer(settings: Settings, dsn: str, verifier: TokenVerifier) -> tuple[int, str]:
    async with AsyncTestClient(app=create_app(settings, dsn, verifier)) as other:
        response = await other.get("/ready")
        return response.status_code, response.json().get("error", "")


async def test_ready_explains_missing_and_pending_migrations(
    settings: Settings, verifier: TokenVerifier, empty_database: str
) -> None:
    assert await ready_answer(settings, empty_database, verifier) == (
        503,
        "no migration has been applied; run `python main.py migrate`",
    )
    apply_pending(empty_database)
    rollback(empty_database, 1)
    status, reason = await ready_answer(settings, empty_database, verifier)
    assert status == 503
    assert reason == f"migrations pending: {migration_ids()[-1]}; run `python main.py migrate`"


async def test_ready_is_503_quickly_when_the_database_is_unreachable(
    settings: Settings, verifier: TokenVerifier, tmp_path: Any
) -> None:
    unreachable = f"postgresql://postgres@/postgres?host={tmp_path}"
    lazy = msgspec.structs.replace(settings, db_pool_min_size=0, db_acquire_timeout_seconds=1.0)
    async with AsyncTestClient(app=create_app(lazy, unreachable, verifier)) as other:
        ready = await other.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["error"].startswith("database unreachable")
        assert ready.headers["retry-after"] == "5"
        token = verifier.issue("user_unreachable")
        api = await other.get("/api/campaigns", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 503
        assert api.json() == {"error": "The database is unavailable; retry later"}
        assert api.headers["retry-after"] == "5"
        # Input is checked before a connection is borrowed: bad input is a 400 even now.
        invalid = await other.post("/api/campaigns", json={"name": ""}, headers={"Authorization": f"Bearer {token}"})
        assert invalid.status_code == 400


async def test_metrics_count_requests_by_route_and_time_queries_by_name(client: Client, auth: dict[str, str]) -> None:
    campaign = await create_campaign(client, auth)
    await client.get(f"/api/campaigns/{campaign['id']}", headers=auth)
    metrics = (await client.get("/metrics")).text
    assert 'db_query_duration_seconds_count{query="create_campaign"}' in metrics
    assert 'db_query_duration_seconds_count{query="get_campaign_detail"}' in metrics
    assert re.search(r'http_requests_total\{.*path="/api/campaigns/\{campaign_id\}".*status_code="200"', metrics)


async def test_slow_queries_are_logged_with_their_name(
    client: Client, auth: dict[str, str], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TimedAdapter, "slow_seconds", 0.0)
    with caplog.at_level(logging.WARNING, logger="service.database"):
        await client.get("/api/campaigns/stats", headers=auth)
    assert any(r.getMessage().startswith("slow query campaign_stats took") for r in caplog.records)


async def test_swagger_ui_needs_no_internet(client: Client) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    referenced = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert referenced
    assert not [url for url in referenced if "://" in url]
    for url in referenced:
        assert (await client.get(url)).status_code == 200, url


async def test_openapi_documents_every_api_route_with_its_security(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    api_paths = {p for p in document["paths"] if p.startswith("/api")}
    app_paths = {route.path.replace(":str", "") for route in client.app.routes if route.path.startswith("/api")}
    assert api_paths == app_paths
    for path in api_paths:
        for operation in document["paths"][path].values():
            assert operation["security"] == [{"BearerToken": []}, {"SessionCookie": []}]
            assert {"401", "503"} <= set(operation["responses"])


async def test_readme_mentions_every_api_route(client: Client) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for route in client.app.routes:
        if route.path.startswith("/api"):
            # Any name may stand for a path parameter: {id}, {category}, ...
            pattern = re.escape(re.sub(r"\{\w+:\w+\}", "PARAM", route.path)).replace("PARAM", r"\{\w+\}")
            for method in sorted(set(route.methods) - {"OPTIONS", "HEAD"}):
                assert re.search(rf"`{method} {pattern}[`?]", readme), f"{method} {route.path} is not in the README"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nothing-here", 404), ("PUT", "/api/campaigns", 405), ("GET", "/nothing", 404)],
)
async def test_framework_errors_use_the_error_body(
    client: Client, auth: dict[str, str], method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, headers=auth)
    assert response.status_code == status
    assert set(response.json()) == {"error"}


async def test_oversized_body_is_413(client: Client, auth: dict[str, str]) -> None:
    body = b'{"name": "x", "searchType": "keyword", "description": "' + b"d" * 2_000_000 + b'"}'
    response = await client.post("/api/campaigns", content=body, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("path", ["/api/admin/config", "/api/campaigns", "/api/jobs/cleanup"])
async def test_preflight_options_never_fail(client: Client, path: str) -> None:
    response = await client.options(path)
    assert response.status_code < 300
    assert "allow" in response.headers
