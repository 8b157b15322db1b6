"""The plans of every named query that reads a large table, on the bench dataset.

    python -m bench.explain_queries [--scale 1.0] [--output bench/EXPLAIN.md]

Each query runs once as a prepared statement with a generic plan, as in the
service's sessions, and auto_explain reports the plan it ran with (ANALYZE,
BUFFERS). Flags any sequential scan of the large tables (LARGE_TABLES), and
lists each index with its size and the queries whose plans use it. Statements
that write run inside a transaction that is rolled back. `python -m bench`
runs this too.
"""

import argparse
import asyncio
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from bench.dataset import BENCH_DIR, bench_database, dataset, ensure_dataset, megabytes
from bench.routes import EXPORT_FIRST_BATCH, NO_CREATOR_FILTERS, first_campaigns_page, first_creators_page
from service.database import parameter_order, query_sql
from service.settings import load_settings

LARGE_TABLES = ("scraping_jobs", "scraping_results", "found_creators")
EXPLAIN_PATH = BENCH_DIR / "EXPLAIN.md"


def far_ends(largest: asyncpg.Record) -> list[tuple[str, str, dict[str, Any]]]:
    """The growth curves' far ends: the user with the most campaigns, the job with the most creators."""
    biggest_job = first_creators_page(largest["job_user_id"], largest["job_id"])
    return [
        (
            "campaigns, the user with the most",
            "list_campaigns_page",
            first_campaigns_page(largest["campaigns_user_id"]),
        ),
        ("job creators, the biggest job", "list_job_creators_page", biggest_job),
        (
            "job creators, the biggest job, a deep keyset page",
            "list_job_creators_page",
            {**biggest_job, "after_value": Decimal(1500), "after_key": "tiktok:m"},
        ),
        (
            "job creators, the biggest job, by engagement",
            "list_job_creators_page",
            {**biggest_job, "sort_by": "engagement"},
        ),
    ]


def cases(user: str, campaign: uuid.UUID, job: uuid.UUID) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, query name, parameters) for every query that reads campaigns, jobs or results."""
    list_jobs = {
        "user_id": user,
        "status": None,
        "platform": None,
        "campaign_id": None,
        "created_from": None,
        "created_to": None,
        "sort_by": "createdAt",
        "descending": True,
        "page_size": 20,
        "skip": 0,
    }
    campaigns_page = first_campaigns_page(user)
    worker = {"job_id": job, "worker_id": "bench"}
    creators_page = first_creators_page(user, job)
    return [
        ("campaigns, first page", "list_campaigns_page", campaigns_page),
        ("campaigns, with active jobs", "list_campaigns_page", {**campaigns_page, "active_only": True}),
        (
            "campaigns, keyset page",
            "list_campaigns_page",
            {**campaigns_page, "before_created_at": datetime.now(UTC), "before_id": uuid.UUID(int=0)},
        ),
        ("campaign detail", "get_campaign_detail", {"user_id": user, "campaign_id": campaign}),
        ("campaign statistics", "campaign_stats", {"user_id": user}),
        (
            "create campaign",
            "create_campaign",
            {"user_id": user, "name": "x", "description": None, "search_type": "keyword"},
        ),
        (
            "update campaign",
            "update_campaign",
            {
                "user_id": user,
                "campaign_id": campaign,
                "name": "y",
                "description": None,
                "set_description": False,
                "status": None,
            },
        ),
        ("delete campaign (cascade)", "delete_campaign", {"user_id": user, "campaign_id": campaign}),
        (
            "create job",
            "create_job",
            {
                "user_id": user,
                "campaign_id": campaign,
                "search_type": "keyword",
                "platform": "TikTok",
                "keywords": ["x"],
                "target_username": None,
                "region": "US",
                "target_results": 100,
                "search_params": None,
                "timeout_seconds": 1800,
                "max_active_jobs": 10,
                "max_jobs_per_minute": 30,
            },
        ),
        ("job detail", "get_job_detail", {"user_id": user, "job_id": job}),
        ("job progress (events)", "get_job_progress", {"user_id": user, "job_id": job}),
        ("cancel job", "cancel_job", {"user_id": user, "job_id": job}),
        ("jobs, first page", "list_jobs_page", list_jobs),
        ("jobs, by status and progress", "list_jobs_page", {**list_jobs, "status": "error", "sort_by": "progress"}),
        ("keyword search", "search_jobs_by_keyword", {"user_id": user, "keyword": "fitness", "page_size": 20}),
        (
            "keyword search, 20,000-job user, rare word",
            "search_jobs_by_keyword",
            {"user_id": "bench_heavy_user", "keyword": "Rare Niche", "page_size": 20},
        ),
        ("jobs, 20,000-job user", "list_jobs_page", {**list_jobs, "user_id": "bench_heavy_user"}),
        ("job statistics", "job_stats", {"user_id": user}),
        ("job creators page", "list_job_creators_page", creators_page),
        ("job creators, by engagement", "list_job_creators_page", {**creators_page, "sort_by": "engagement"}),
        (
            "job creators export, a batch",
            "export_job_creators_batch",
            {"job_id": job, "sort_by": "followers", **EXPORT_FIRST_BATCH, **NO_CREATOR_FILTERS},
        ),
        (
            "worker: claim",
            "claim_next_step",
            {
                "worker_id": "bench",
                "held_job_id": None,
                "lease_seconds": 30,
                "provider": "bench",
                "calls_per_second": 100,
                "max_calls_in_flight": 64,
                "max_jobs_per_user": 8,
            },
        ),
        (
            "worker: step",
            "record_job_page",
            {
                **worker,
                "page": 0,
                "creators": [],
                "calls": 1,
                "next_provider_cursor": None,
                "stop_reason": None,
                "lease_seconds": 30,
            },
        ),
        ("worker: renew lease", "renew_job_lease", {**worker, "lease_seconds": 30}),
        ("worker: budget spent", "complete_job_early", {**worker, "stop_reason": "budget_exhausted"}),
        ("worker: retry later", "retry_job_later", {**worker, "delay_seconds": 2, "failed_attempt": True}),
        ("worker: fail", "fail_job", {**worker, "error": "x"}),
        ("worker: release", "release_job", worker),
        ("worker: timeout sweep", "sweep_timed_out_jobs", {}),
        ("unfinished jobs", "count_unfinished_jobs", {}),
        ("admin cleanup: cutoff", "cleanup_cutoff", {"older_than_days": 300}),
        (
            "admin cleanup: one batch",
            "cleanup_jobs_batch",
            {"status": "error", "cutoff": datetime(2026, 1, 1, tzinfo=UTC), "batch_size": 100},
        ),
    ]


async def explain(conn: asyncpg.Connection, name: str, params: dict[str, Any]) -> str:
    """The plan of one execution of the named query, as a prepared statement (the service's generic plan)."""
    sql = query_sql(name)
    order = parameter_order(name)
    notices: list[str] = []

    def keep(_: object, message: asyncpg.PostgresLogMessage) -> None:
        notices.append(message.message)

    conn.add_log_listener(keep)
    tx = conn.transaction()
    await tx.start()
    try:
        statement = await conn.prepare(sql)
        await statement.fetch(*[params[p] for p in order])
    finally:
        await tx.rollback()
        conn.remove_log_listener(keep)
    # auto_explain's notice: "duration: 0.123 ms  plan:", "Query Text: " and the
    # statement as sent, then the plan. The statement goes: its comments name indexes.
    notice = next(n for n in notices if n.startswith("duration:"))
    duration, _, rest = notice.partition("\n")
    return duration + rest.partition(sql)[2]


async def report(dsn: str, scale: float) -> str:
    await ensure_dataset(dsn, scale)
    conn = await asyncpg.connect(dsn, command_timeout=600)
    try:
        sample = await dataset.sample_ids(conn)
        # The same JSON codecs as the service, so jsonb parameters are passed the same way.
        await conn.set_type_codec("jsonb", schema="pg_catalog", encoder=_json, decoder=str)
        await dataset.explain_executions(conn)
        plans = {}
        largest = await dataset.largest_user_and_job(conn)
        for label, name, params in [
            *cases(sample["user_id"], sample["campaign_id"], sample["job_id"]),
            *far_ends(largest),
        ]:
            plans[label] = (name, await explain(conn, name, params))
        tables = [dict(r) async for r in dataset.table_sizes(conn)]
        indexes = [dict(r) async for r in dataset.index_sizes(conn)]
    finally:
        await conn.close()
    return render(plans, tables, indexes)


def _json(value: Any) -> str:
    import msgspec

    return msgspec.json.encode(value).decode()


def render(plans: dict[str, tuple[str, str]], tables: list[dict[str, Any]], indexes: list[dict[str, Any]]) -> str:
    lines = ["# EXPLAIN of the named queries on the bench dataset", ""]
    lines += ["| table | rows | size |", "| --- | --- | --- |"]
    lines += [f"| {t['table_name']} | {t['rows']:,} | {megabytes(t['bytes'])} |" for t in tables]
    lines += ["", "| query | named query | time | sequential scan of a large table |", "| --- | --- | --- | --- |"]
    for label, (name, plan) in plans.items():
        seq = [t for t in LARGE_TABLES if re.search(rf"Seq Scan on {t}\b", plan)]
        time_ms = re.search(r"^duration: ([\d.]+) ms", plan)
        elapsed = time_ms.group(1) if time_ms else "?"
        flagged = f"**{', '.join(seq)}**" if seq else "none"
        lines.append(f"| {label} | `{name}` | {elapsed} ms | {flagged} |")
    lines += [
        "",
        "## Indexes and the queries whose plans use them",
        "",
        "| index | size | used by |",
        "| --- | --- | --- |",
    ]
    for index in indexes:
        users = sorted({name for name, plan in plans.values() if re.search(rf"\b{index['index_name']}\b", plan)})
        lines.append(f"| {index['index_name']} | {megabytes(index['bytes'])} | {', '.join(users) or '—'} |")
    lines += ["", "## Plans", ""]
    for label, (name, plan) in plans.items():
        lines += [f"### {label} (`{name}`)", "", "```", plan, "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--output", type=Path, default=EXPLAIN_PATH)
    args = parser.parse_args()
    with bench_database(load_settings().database_url) as dsn:
        text = asyncio.run(report(dsn, args.scale))
    args.output.write_text(text)
    print(text.split("## Plans")[0])


if __name__ == "__main__":
    main()
