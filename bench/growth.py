"""Growth curves through the running service: the campaigns page as one user's
campaigns grow and as keyset pages go deeper, the creators page at depth and
by job size, a campaign's creators page as its searches grow, and the
service's memory while it exports CSV."""

import asyncio
import threading
import time
from collections.abc import Callable

import asyncpg
import httpx
import psutil

from bench.dataset import dataset
from bench.loadgen import HttpRequest, Measurement, run_wrk
from bench.server import BenchServer
from service.auth import TokenVerifier

CAMPAIGN_COUNTS = (10, 100, 1_000, 10_000)
CAMPAIGN_DEPTHS = (1, 10, 100, 800)
CREATOR_DEPTHS = (1, 10, 100, 200)
JOB_SIZES = (1_000, 10_000, 100_000)
BIG_JOB_OWNER = "bench_user_1"
SEARCHES_PER_CAMPAIGN = (1, 10, 50)
CREATORS_PER_SEARCH = 1_000
SEARCHES_OWNER = "bench_campaign_creators"


async def ensure_growth_data(dsn: str) -> tuple[dict[int, str], dict[int, str]]:
    """The growth users (one per campaign count), the big jobs (size -> id) and the campaigns
    with many searches (searches -> id), created once."""
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        for count in CAMPAIGN_COUNTS:
            user = f"bench_growth_{count}"
            if await dataset.count_user_campaigns(conn, user_id=user) != count:
                await dataset.delete_user_campaigns(conn, user_id=user)
                await dataset.generate_growth_user(conn, user_id=user, campaign_count=count)
        jobs = {}
        for size in JOB_SIZES:
            job_id = await dataset.find_big_job(conn, user_id=BIG_JOB_OWNER, creators=size)
            if job_id is None:
                job_id = await dataset.generate_big_job(
                    conn, user_id=BIG_JOB_OWNER, pages=size // 20, creators_per_page=20, bio_length=0
                )
            jobs[size] = str(job_id)
        campaigns = await ensure_searches_campaigns(conn)
        await dataset.analyze_tables(conn)
        return jobs, campaigns
    finally:
        await conn.close()


async def ensure_searches_campaigns(conn: asyncpg.Connection) -> dict[int, str]:
    """The campaigns with 1, 10 and 50 searches (searches -> id), created once."""
    campaigns = {}
    for searches in SEARCHES_PER_CAMPAIGN:
        name = f"{searches} searches"
        campaign_id = await dataset.find_searches_campaign(conn, user_id=SEARCHES_OWNER, name=name)
        if campaign_id is None:
            campaign_id = await dataset.generate_searches_campaign(
                conn, user_id=SEARCHES_OWNER, name=name, searches=searches, creators_per_search=CREATORS_PER_SEARCH
            )
        campaigns[searches] = str(campaign_id)
    return campaigns


def campaign_creators_curve(
    measure: Callable[[str, str], Measurement], verifier: TokenVerifier, campaigns: dict[int, str]
) -> list[tuple[str, str, Measurement]]:
    """Curve F: the first page of a campaign's creators, by the campaign's number of searches."""
    token = verifier.issue(SEARCHES_OWNER)
    curve = f"F: a campaign's creators, first page ({CREATORS_PER_SEARCH:,} per search)"
    return [
        (curve, f"{searches} searches", measure(f"/api/campaigns/{campaign}/creators", token))
        for searches, campaign in campaigns.items()
    ]


def cursors_at(url: str, token: str, path: str, depths: tuple[int, ...]) -> dict[int, str]:
    """Follow nextCursor from the first page; the cursor of each page number in `depths`."""
    found = {1: ""}
    cursor = ""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for page in range(2, max(depths) + 1):
            body = client.get(path, params={"cursor": cursor}).raise_for_status().json()
            cursor = body.get("nextCursor") or body.get("pagination", {}).get("nextCursor")
            if not cursor:
                break
            if page in depths:
                found[page] = cursor
    return found


def peak_rss_while(process: psutil.Process, work: Callable[[], int]) -> tuple[float, float, int]:
    """RSS before and at its highest (sampled every 5 ms) while `work` runs; work's result."""
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = work()
    finally:
        done.set()
        sampler.join()
    return before / 2**20, peak / 2**20, result


def measure_growth(
    server: BenchServer, url: str, process: psutil.Popen, secret: str, *, seconds: float, connections: int
) -> str:
    jobs, campaigns = asyncio.run(ensure_growth_data(server.dsn))
    verifier = TokenVerifier(secret=secret)

    def measure(path: str, token: str) -> Measurement:
        request = HttpRequest("GET", path, ("Authorization", f"Bearer {token}"))
        return run_wrk(
            url, [request], seconds=seconds, warmup_seconds=1, connections=connections, server=server, process=process
        )

    lines = ["| curve | point | req/s | p50 ms | p99 ms |", "| --- | --- | --- | --- | --- |"]

    def row(curve: str, point: str, m: Measurement) -> None:
        lines.append(f"| {curve} | {point} | {m.per_second:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} |")

    for count in CAMPAIGN_COUNTS:
        token = verifier.issue(f"bench_growth_{count}")
        row("A: one user's campaigns, first page", f"{count:,} campaigns", measure("/api/campaigns?limit=12", token))
    deep_user = verifier.issue(f"bench_growth_{CAMPAIGN_COUNTS[-1]}")
    campaign_cursors = cursors_at(url, deep_user, "/api/campaigns?limit=12", CAMPAIGN_DEPTHS)
    for depth, cursor in campaign_cursors.items():
        row(
            "A: keyset page (10,000 campaigns)",
            f"page {depth}",
            measure(f"/api/campaigns?limit=12&cursor={cursor}", deep_user),
        )
    for depth in CAMPAIGN_DEPTHS:
        row(
            "A: offset page (10,000 campaigns)",
            f"page {depth}",
            measure(f"/api/campaigns?limit=12&page={depth}", deep_user),
        )

    owner = verifier.issue(BIG_JOB_OWNER)
    middle = jobs[JOB_SIZES[1]]
    creator_cursors = cursors_at(url, owner, f"/api/jobs/{middle}/creators", CREATOR_DEPTHS)
    for depth, cursor in creator_cursors.items():
        row(
            "E: keyset page (10,000 creators)",
            f"page {depth}",
            measure(f"/api/jobs/{middle}/creators?cursor={cursor}", owner),
        )
    for size, job in jobs.items():
        row("E: first page by job size", f"{size:,} creators", measure(f"/api/jobs/{job}/creators", owner))
    for curve, point, measured in campaign_creators_curve(measure, verifier, campaigns):
        row(curve, point, measured)

    memory = [
        "| creators | service RSS before | peak during export | growth | CSV bytes |",
        "| --- | --- | --- | --- | --- |",
    ]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {owner}"}, timeout=600) as client:
        for size, job in jobs.items():

            def export(job: str = job) -> int:
                with client.stream("GET", f"/api/jobs/{job}/creators", params={"format": "csv"}) as response:
                    response.raise_for_status()
                    return sum(len(chunk) for chunk in response.iter_raw())

            before, peak, sent = peak_rss_while(process, export)
            memory.append(f"| {size:,} | {before:.1f} MB | {peak:.1f} MB | {peak - before:+.1f} MB | {sent:,} |")
    return "\n".join(lines) + "\n\n" + "\n".join(memory)
