"""One embedded PostgreSQL per test session, migrated once; tests isolate by user id."""

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import create_pool
from service.embedded import embedded_database
from service.migrations import apply_pending
from service.settings import Settings
from tests.factories import fixtures

SECRET = "test-secret-" + "x" * 40
FRONTEND_ORIGIN = "http://localhost:3000"  # the old frontend's origin in tests (ALLOWED_ORIGINS)


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    with (
        tempfile.TemporaryDirectory(prefix="influencer-test-") as data_dir,
        embedded_database(Path(data_dir)) as dsn,
    ):
        yield dsn


@pytest.fixture(scope="session")
def dsn(postgres_dsn: str) -> str:
    """The migrated test database."""
    apply_pending(postgres_dsn)
    return postgres_dsn


@pytest.fixture(scope="session")
def settings(dsn: str) -> Settings:
    return Settings(
        database_url=dsn,
        auth_jwt_secret=SECRET,
        db_pool_max_size=5,
        access_log=False,
        run_worker=False,
        allowed_origins=FRONTEND_ORIGIN,
    )


@pytest.fixture(scope="session")
def verifier(settings: Settings) -> TokenVerifier:
    return TokenVerifier.from_settings(settings)


@pytest.fixture(scope="session")
async def client(settings: Settings, dsn: str, verifier: TokenVerifier) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings, dsn, verifier)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def pool(settings: Settings, dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of our own, for setting up rows and asserting on them."""
    db_pool = await create_pool(dsn, settings)
    yield db_pool
    await db_pool.close()


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def auth_for(verifier: TokenVerifier) -> TokenFactory:
    """Authorization headers for a user id (admin=True for an admin token, email= for the claim)."""

    def headers(user_id: str, *, admin: bool = False, email: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {verifier.issue(user_id, admin=admin, email=email)}"}

    return headers


@pytest.fixture
def user_id() -> str:
    return f"user_{uuid.uuid4().hex}"


@pytest.fixture
def other_user_id() -> str:
    return f"user_{uuid.uuid4().hex}"


@pytest.fixture
def auth(auth_for: TokenFactory, user_id: str) -> dict[str, str]:
    return auth_for(user_id)


@pytest.fixture
def other_auth(auth_for: TokenFactory, other_user_id: str) -> dict[str, str]:
    return auth_for(other_user_id)


def database_url(dsn: str, database: str) -> str:
    """The same server's URL for another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


@asynccontextmanager
async def scratch_database(server_dsn: str) -> AsyncIterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield database_url(server_dsn, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def empty_database(postgres_dsn: str) -> AsyncIterator[str]:
    async with scratch_database(postgres_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
async def module_database(postgres_dsn: str) -> AsyncIterator[str]:
    """A migrated database of the test module's own, for work that scans whole tables."""
    async with scratch_database(postgres_dsn) as dsn:
        apply_pending(dsn)
        yield dsn


@pytest.fixture
def admin_auth(auth_for: TokenFactory) -> dict[str, str]:
    return auth_for(f"admin_{uuid.uuid4().hex}", admin=True)


@pytest.fixture(scope="module")
def worker_settings(module_database: str) -> Settings:
    """Settings for a worker against the module's own database (simulated provider, no latency)."""
    return Settings(
        database_url=module_database,
        auth_jwt_secret="w" * 40,
        run_worker=False,
        access_log=False,
        simulated_latency_ms=0,
    )


@pytest.fixture(scope="module")
async def worker_db(module_database: str, worker_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """The module database's pool, with a worker's timings shortened for tests."""
    db_pool = await create_pool(module_database, worker_settings)
    async with db_pool.acquire() as conn:
        for key, value in (("poll_interval", "50ms"), ("retry_base_delay", "0s"), ("lease_duration", "2s")):
            await fixtures.store_raw_config(
                conn, category="worker", key=key, value=value, value_type="duration", is_hot_reloadable=True
            )
    yield db_pool
    await db_pool.close()
