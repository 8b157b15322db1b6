"""Isolation: other users' route A while slow exporters and a thousand event streams are open.

    python -m bench.isolation [--seconds 20] [--connections 8]

A fresh embedded PostgreSQL (in a temporary directory) gets 200 users with 12
campaigns each (route A's data), 5 exporting users with a 10,000-creator job
each, and 50 users with an unfinished job each. The service runs as deployed
(`python main.py`, default pool and limits, no worker). The bench then measures
GET /api/campaigns for random ordinary users, closed loop over `--connections`
keep-alive connections, twice:

1. idle: nothing else open;
2. loaded: 10 slow exporters (2 per exporting user, the default cap is 3; each
   a 7 MB CSV on a socket with a 4 KB receive buffer that reads nothing) and 1,000 event streams
   (20 per streaming user, the default cap) are open.

Idle is measured before and after the loaded phase (the machine is shared, so
other load may drift). It prints p50/p99 of the three phases and the loaded
phase's ratio to both idle phases together (target: loaded p99 within 2x of
idle), with the sessions `idle in transaction` seen during the loaded phase.
"""

import argparse
import asyncio
import secrets
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import msgspec

from bench.dataset import dataset
from bench.harness import background, base_env
from bench.loadgen import percentile
from bench.server import free_port
from service.auth import TokenVerifier
from service.database import create_pool, queries
from service.embedded import embedded_database
from service.migrations import apply_pending
from service.paths import PROJECT_ROOT
from service.query_types import Connection
from service.settings import Settings

ORDINARY_USERS = 200
CAMPAIGNS_PER_USER = 12
EXPORTERS = 5
EXPORTS_PER_EXPORTER = 2
EXPORT_PAGES, EXPORT_CREATORS_PER_PAGE = 500, 20  # 10,000 creators
BIO_LENGTH = 500  # about 700 bytes of CSV per creator: 7 MB per export, more than socket buffers hold
STREAMERS = 50
STREAMS_PER_STREAMER = 20
NO_LIMIT = 1_000_000


async def prepare(dsn: str) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """The ordinary users; (user, job) of the exports; (user, job) of the event streams."""
    pool = await create_pool(dsn, Settings(db_pool_max_size=1, db_command_timeout_seconds=600))
    try:
        async with pool.acquire() as conn:
            return await _prepare(conn)
    finally:
        await pool.close()


async def _prepare(conn: Connection) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """The rows of `prepare` (the connection has the service's JSON codecs)."""
    await dataset.generate_campaigns(conn, users=ORDINARY_USERS + STREAMERS, campaigns_per_user=CAMPAIGNS_PER_USER)
    await dataset.generate_jobs(conn, jobs_per_campaign=2)
    exports = []
    for n in range(EXPORTERS):
        user = f"bench_exporter_{n}"
        await queries.create_campaign(conn, user_id=user, name="Export", description=None, search_type="keyword")
        job = await dataset.generate_big_job(
            conn, user_id=user, pages=EXPORT_PAGES, creators_per_page=EXPORT_CREATORS_PER_PAGE, bio_length=BIO_LENGTH
        )
        exports += [(user, str(job))] * EXPORTS_PER_EXPORTER
    streams = []
    for n in range(STREAMERS):
        user = f"bench_user_{ORDINARY_USERS + 1 + n}"
        campaign = msgspec.json.decode(
            await queries.create_campaign(conn, user_id=user, name="Live", description=None, search_type="keyword")
        )["id"]
        row = await queries.create_job(
            conn,
            user_id=user,
            campaign_id=uuid.UUID(campaign),
            search_type="keyword",
            platform="TikTok",
            keywords=["live"],
            target_username=None,
            region="US",
            target_results=100,
            search_params=None,
            timeout_seconds=3600,
            max_active_jobs=NO_LIMIT,
            max_jobs_per_minute=NO_LIMIT,
        )
        assert row is not None
        assert row.job is not None
        streams += [(user, msgspec.json.decode(row.job)["id"])] * STREAMS_PER_STREAMER
    await dataset.analyze_tables(conn)
    return [f"bench_user_{n}" for n in range(1, ORDINARY_USERS + 1)], exports, streams


def request_bytes(path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return status


async def route_a(port: int, requests: list[bytes], seconds: float, connections: int) -> tuple[list[int], int]:
    """Latencies (microseconds) of GET /api/campaigns, closed loop on keep-alive connections,
    each connection going round the users from its own starting point; and how many were not 200."""
    latencies: list[int] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection(start: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        turn = start
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(requests[turn % len(requests)])
            turn += 1
            status = await read_response(reader)
            latencies.append(round((time.perf_counter() - started) * 1e6))
            if status != 200:
                errors += 1
        writer.close()

    await asyncio.gather(*(connection(n * len(requests) // connections) for n in range(connections)))
    return sorted(latencies), errors


def slow_exporter(port: int, request: bytes) -> socket.socket:
    """An export that reads its status line and then nothing."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(request)
    sock.settimeout(30)
    if sock.recv(12) != b"HTTP/1.1 200":
        raise RuntimeError("an export did not start")
    return sock


async def event_stream(port: int, request: bytes, settled: list[int], all_settled: asyncio.Event) -> bool:
    """An EventSource: reads its events (and keep-alives) as they come. True once it had its first event."""
    total = STREAMERS * STREAMS_PER_STREAMER
    started = False
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 200"):
            await reader.readuntil(b"event: progress")
            started = True
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        settled[0] += 1
        if settled[0] == total:
            all_settled.set()
    if not started:
        return False
    try:
        while await reader.read(4096):
            pass
    finally:
        writer.close()
    return True


async def idle_in_transaction(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await dataset.idle_in_transaction_sessions(conn)
        return count
    finally:
        await conn.close()


async def measure(dsn: str, port: int, secret: str, seconds: float, connections: int) -> None:
    users, exports, streams = await prepare(dsn)
    verifier = TokenVerifier(secret=secret)
    token = {u: verifier.issue(u) for u in {*users, *(u for u, _ in exports), *(u for u, _ in streams)}}
    route_requests = [request_bytes("/api/campaigns?page=1&limit=12", token[u]) for u in users]

    await route_a(port, route_requests, 3, connections)  # warm-up
    idle_before, errors_before = await route_a(port, route_requests, seconds, connections)

    exporters = [
        slow_exporter(port, request_bytes(f"/api/jobs/{job}/creators?format=csv", token[user])) for user, job in exports
    ]
    settled, all_settled = [0], asyncio.Event()
    stream_tasks = [
        asyncio.create_task(
            event_stream(port, request_bytes(f"/api/jobs/{job}/events", token[user]), settled, all_settled)
        )
        for user, job in streams
    ]
    await asyncio.wait_for(all_settled.wait(), 300)
    await asyncio.sleep(2)  # the exports fill their sockets and wait
    loaded, loaded_errors = await route_a(port, route_requests, seconds, connections)
    held = await idle_in_transaction(dsn)
    still_open = sum(not t.done() for t in stream_tasks)
    for task in stream_tasks:
        task.cancel()
    for sock in exporters:
        sock.close()
    await asyncio.sleep(2)  # the service notices the clients left
    idle_after, errors_after = await route_a(port, route_requests, seconds, connections)

    print(f"route A: GET /api/campaigns, {connections} connections, {seconds:g} s per phase\n")
    print("| phase | requests | not 200 | p50 | p99 |")
    print("| --- | --- | --- | --- | --- |")
    phases = (
        ("idle, before", idle_before, errors_before),
        ("10 slow exporters + 1,000 event streams", loaded, loaded_errors),
        ("idle, after", idle_after, errors_after),
    )
    for name, values, errors in phases:
        p50, p99 = percentile(values, 50) / 1000, percentile(values, 99) / 1000
        print(f"| {name} | {len(values):,} | {errors:,} | {p50:.1f} ms | {p99:.1f} ms |")
    # The machine is shared: idle is measured on both sides of the loaded phase, and the
    # ratios are against both idle phases' latencies together, so a drift in other load
    # between phases counts for neither side.
    idle = sorted(idle_before + idle_after)
    ratio = percentile(loaded, 99) / percentile(idle, 99)
    print(f"\nloaded p99 / idle p99 = {ratio:.2f} (target: at most 2)")
    print(f"loaded p50 / idle p50 = {percentile(loaded, 50) / percentile(idle, 50):.2f}")
    print(f"sessions idle in transaction during the loaded phase: {held}; event streams still open: {still_open}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    secret = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="bench-isolation-") as data_dir, embedded_database(Path(data_dir)) as dsn:
        apply_pending(dsn)
        port = free_port()
        env = {**base_env(), "DATABASE_URL": dsn, "AUTH_JWT_SECRET": secret, "PORT": str(port), "RUN_WORKER": "false"}
        url = f"http://127.0.0.1:{port}"
        log = Path(data_dir) / "service.log"
        with background([sys.executable, "main.py", "serve"], cwd=PROJECT_ROOT, env=env, log=log, ready=f"{url}/ready"):
            assert httpx.get(f"{url}/health").status_code == 200
            asyncio.run(measure(dsn, port, secret, args.seconds, args.connections))


if __name__ == "__main__":
    main()
