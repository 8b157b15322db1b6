"""The benchmark's floor runs the named SQL itself: the pgbench script made from an aiosql query."""

import re
import uuid

import asyncpg
import pytest

from bench.dataset import dataset
from bench.explain_queries import explain
from bench.loadgen import HttpRequest, percentile, pgbench_script
from bench.routes import EXPORT_FIRST_BATCH, NO_CREATOR_FILTERS, first_campaigns_page
from service.database import parameter_order, query_sql


def test_the_script_is_the_named_query_with_pgbench_variables() -> None:
    arguments = {"user_id": "bench_user_7", "keyword": "fitness", "page_size": 20}
    script, variables = pgbench_script("search_jobs_by_keyword", arguments, "s3")
    order = parameter_order("search_jobs_by_keyword")
    expected = re.sub(r"\$(\d+)\b", lambda m: f":s3_{order[int(m.group(1)) - 1]}", query_sql("search_jobs_by_keyword"))
    assert script == expected
    assert variables == {"s3_user_id": "bench_user_7", "s3_keyword": "fitness", "s3_page_size": "20"}


def test_null_arguments_become_null_and_booleans_postgres_text() -> None:
    script, variables = pgbench_script("list_campaigns_page", first_campaigns_page("u"), "s0")
    assert "$" not in script.replace("$$", "")
    assert "coalesce(NULL::timestamptz" in script
    assert variables["s0_active_only"] == "false"
    assert "s0_status" not in variables


def test_percentile_picks_from_the_sorted_latencies() -> None:
    latencies = list(range(1, 101))
    assert percentile(latencies, 50) == 51
    assert percentile(latencies, 99) == 100
    assert percentile([], 50) != percentile([], 50)  # NaN when nothing was measured


def test_a_request_line_refuses_tabs_and_newlines() -> None:
    assert HttpRequest("GET", "/api/campaigns", ("X-User-Id", "u")).line() == "GET\t/api/campaigns\tX-User-Id\tu\t"
    with pytest.raises(AssertionError):
        HttpRequest("GET", "/a\tb", ("X-User-Id", "u")).line()


async def test_the_index_list_reads_generic_plans_without_the_statement(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await dataset.explain_executions(conn)
        plan = await explain(
            conn,
            "export_job_creators_batch",
            {"job_id": uuid.uuid4(), "sort_by": "followers", **EXPORT_FIRST_BATCH, **NO_CREATOR_FILTERS},
        )
    finally:
        await conn.close()
    assert plan.startswith("duration: ")
    assert "found_creators_followers_idx" in plan
    assert "$2" in plan, "a generic plan, as the service's prepared statements get"
    assert "-- noqa: AM09" in query_sql("export_job_creators_batch")
    assert "-- noqa" not in plan, "the statement (its comments can name indexes) is not part of the plan"
