"""The connection pool: what a borrower may rely on, with the per-release reset left out."""

import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest

from service.database import create_pool, queries, session_settings
from service.settings import Settings
from tests.factories import fixtures


@pytest.fixture
async def one_connection_pool(settings: Settings, dsn: str) -> AsyncIterator[object]:
    """A pool of a single connection, so that every borrower gets the same session."""
    pool = await create_pool(dsn, msgspec.structs.replace(settings, db_pool_min_size=1, db_pool_max_size=1))
    yield pool
    await pool.close()


async def test_a_transaction_left_open_is_rolled_back_before_the_next_borrower(one_connection_pool: object) -> None:
    pool = one_connection_pool
    user = f"user_{uuid.uuid4().hex}"
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        transaction = conn.transaction()
        await transaction.start()
        await queries.create_campaign(
            conn, user_id=user, name="never committed", description=None, search_type="keyword"
        )
        # A handler that dies here never commits.
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        assert not conn.is_in_transaction()
        assert (await fixtures.count_user_rows(conn, user_id=user))["campaigns"] == 0


async def test_every_borrower_gets_generic_plans(one_connection_pool: object) -> None:
    for _ in range(2):
        async with one_connection_pool.acquire() as conn:  # type: ignore[attr-defined]
            assert await fixtures.plan_cache_mode(conn) == "force_generic_plan"


def test_without_a_statement_cache_the_plan_setting_is_not_sent() -> None:
    # Behind PgBouncer (cache off) the start-up parameter would be refused.
    assert "plan_cache_mode" not in session_settings(Settings(db_statement_cache_size=0))
    assert session_settings(Settings())["plan_cache_mode"] == "force_generic_plan"
