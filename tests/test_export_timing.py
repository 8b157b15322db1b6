"""The CSV export's statements (one per batch) are timed and named like every other query."""

from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from service.database import TimedAdapter
from tests.factories import add_job, create_campaign
from tests.test_logs import captured


def export_timings() -> tuple[float, float]:
    labels = {"query": "export_job_creators_batch"}
    count = REGISTRY.get_sample_value("db_query_duration_seconds_count", labels) or 0.0
    total = REGISTRY.get_sample_value("db_query_duration_seconds_sum", labels) or 0.0
    return count, total


async def test_the_export_statement_is_in_the_metrics_and_the_slow_query_log(
    client: AsyncTestClient[Any], auth: dict[str, str], pool: asyncpg.Pool, monkeypatch: Any
) -> None:
    campaign = await create_campaign(client, auth)
    job_id = await add_job(pool, campaign, result_pages=3, creators_per_page=5)
    count, total = export_timings()
    monkeypatch.setattr(TimedAdapter, "slow_seconds", 0.0)
    with captured("service.database") as lines:
        response = await client.get(
            f"/api/jobs/{job_id}/creators", params={"format": "csv"}, headers={**auth, "X-Request-ID": "export-1"}
        )
    assert response.status_code == 200
    assert len(response.text.splitlines()) == 1 + 15
    after_count, after_total = export_timings()
    assert after_count == count + 1, "one observation per batch (15 creators: one batch)"
    assert after_total > total
    slow = [line for line in lines if line["message"].startswith("slow query export_job_creators_batch took")]
    assert [line["request_id"] for line in slow] == ["export-1"]
