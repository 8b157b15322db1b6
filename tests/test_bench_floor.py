"""The benchmark's floor runs the named SQL itself: the pgbench script made from an aiosql query."""

import re

import pytest

from bench.loadgen import HttpRequest, percentile, pgbench_script
from service.database import queries


def test_the_script_is_the_named_query_with_pgbench_variables() -> None:
    arguments = {"user_id": "bench_user_7", "keyword": "fitness", "page_size": 20}
    script, variables = pgbench_script("search_jobs_by_keyword", arguments, "s3")
    order = queries.driver_adapter.var_sorted["search_jobs_by_keyword"]
    expected = re.sub(r"\$(\d+)\b", lambda m: f":s3_{order[int(m.group(1)) - 1]}", queries.search_jobs_by_keyword.sql)
    assert script == expected
    assert variables == {"s3_user_id": "bench_user_7", "s3_keyword": "fitness", "s3_page_size": "20"}


def test_null_arguments_become_null_and_booleans_postgres_text() -> None:
    arguments = {
        "user_id": "u",
        "status": None,
        "active_only": False,
        "before_created_at": None,
        "before_id": None,
        "page_size": 12,
        "skip": 0,
    }
    script, variables = pgbench_script("list_campaigns_page", arguments, "s0")
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
