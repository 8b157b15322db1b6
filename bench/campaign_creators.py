"""Curve F on its own: a campaign's creators page as the campaign grows from 1 to 50 searches.

    python -m bench.campaign_creators [--seconds 5]

A scratch PostgreSQL (loopback TCP, in a temporary directory) with only the
three campaigns of curve F (1, 10 and 50 searches of 1,000 creators each,
half of each search's creators found again by the next), the service as
deployed, and wrk at 32 connections on each campaign's first page. `python -m
bench` measures the same curve on the full dataset.
"""

import argparse
import asyncio
import secrets
import tempfile
from pathlib import Path

import asyncpg

from bench.dataset import dataset
from bench.growth import campaign_creators_curve, ensure_searches_campaigns
from bench.harness import CONNECTIONS, OUT_DIR, running_service
from bench.loadgen import HttpRequest, Measurement, require_wrk, run_wrk
from bench.server import tcp_database
from service.auth import TokenVerifier
from service.migrations import apply_pending


async def prepare(dsn: str) -> dict[int, str]:
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        campaigns = await ensure_searches_campaigns(conn)
        await dataset.analyze_tables(conn)
        return campaigns
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5, help="measured seconds per point")
    args = parser.parse_args()
    require_wrk()
    OUT_DIR.mkdir(exist_ok=True)
    secret = secrets.token_hex(32)
    with (
        tempfile.TemporaryDirectory(prefix="bench-campaign-creators-") as scratch,
        tcp_database(Path(scratch)) as server,
    ):
        apply_pending(server.dsn)
        campaigns = asyncio.run(prepare(server.dsn))
        with running_service(server, secret) as (url, process):

            def measure(path: str, token: str) -> Measurement:
                request = HttpRequest("GET", path, ("Authorization", f"Bearer {token}"))
                return run_wrk(
                    url,
                    [request],
                    seconds=args.seconds,
                    warmup_seconds=1,
                    connections=CONNECTIONS,
                    server=server,
                    process=process,
                )

            rows = campaign_creators_curve(measure, TokenVerifier(secret=secret), campaigns)
    print("| curve | point | req/s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- |")
    for curve, point, m in rows:
        print(f"| {curve} | {point} | {m.per_second:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} |")


if __name__ == "__main__":
    main()
