"""The two load generators and what a run costs: wrk over HTTP, pgbench on the named SQL.

Both report requests (or transactions) per second and the p50/p99 latency;
the CPU of PostgreSQL, of the process under test and of the load generator
is measured over the same window, as a percentage of one core.
"""

import os
import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.server import BenchServer, pg_tool
from service.database import parameter_order, query_sql

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk_requests.lua"
WRK_RESULT = re.compile(r"^WRK_RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", re.MULTILINE)
PGBENCH_TPS = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)$", re.MULTILINE)
PGBENCH_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.MULTILINE)
SETTLE_SECONDS = 0.5
# pgbench picks one of its scripts at random for each transaction, and takes at most 128.
PGBENCH_MAX_SCRIPTS = 128


@dataclass(frozen=True)
class Measurement:
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_postgres: float
    cpu_process: float | None
    cpu_loadgen: float


@dataclass(frozen=True)
class HttpRequest:
    """One request wrk may send: a line of the file the Lua script reads."""

    method: str
    path: str
    header: tuple[str, str]
    body: str = ""

    def line(self) -> str:
        fields = (self.method, self.path, *self.header, self.body)
        assert not any("\t" in field or "\n" in field for field in fields)
        return "\t".join(fields)


class CpuWindow:
    """CPU used by PostgreSQL, one process and this process's finished children, between start and stop."""

    def __init__(self, server: BenchServer, process: psutil.Process | None) -> None:
        self.server = server
        self.process = process

    def _process_seconds(self) -> float:
        if self.process is None:
            return 0.0
        times = self.process.cpu_times()
        return times.user + times.system

    def __enter__(self) -> "CpuWindow":
        # Let the backends of earlier connections finish exiting, so that each one
        # is counted either as live or as reaped, never in between.
        time.sleep(SETTLE_SECONDS)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._children = children.ru_utime + children.ru_stime
        self._postgres = self.server.cpu_seconds()
        self._process = self._process_seconds()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        wall = time.perf_counter() - self._started
        time.sleep(SETTLE_SECONDS)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.postgres = 100 * (self.server.cpu_seconds() - self._postgres) / wall
        self.process_percent = 100 * (self._process_seconds() - self._process) / wall if self.process else None
        # The load generator is the only child that exits inside the window.
        self.loadgen = 100 * (children.ru_utime + children.ru_stime - self._children) / wall


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (Debian), then run the harness again")
    return wrk


def run_wrk(
    base_url: str,
    requests: Sequence[HttpRequest],
    *,
    seconds: float,
    connections: int,
    server: BenchServer,
    process: psutil.Process | None,
    warmup_seconds: float = 0,
) -> Measurement:
    """wrk with one thread and `connections` connections, each request a random one of `requests`."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        request_file = Path(scratch) / "requests.tsv"
        request_file.write_text("".join(request.line() + "\n" for request in requests))

        def wrk(duration: float) -> str:
            command = [
                require_wrk(), "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
                "-s", str(LUA_SCRIPT), base_url, "--", str(request_file),
            ]  # fmt: skip
            return subprocess.run(command, check=True, capture_output=True, text=True).stdout

        if warmup_seconds:
            wrk(warmup_seconds)
        with CpuWindow(server, process) as cpu:
            output = wrk(seconds)
    found = WRK_RESULT.search(output)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    count, duration_us, status_errors, socket_errors, p50_us, p99_us = map(int, found.groups())
    if status_errors or socket_errors:
        # A contender answering errors fast must not look fast.
        raise RuntimeError(f"{status_errors} error statuses and {socket_errors} socket errors: {requests[0]}")
    return Measurement(
        per_second=count / (duration_us / 1e6),
        p50_ms=p50_us / 1000,
        p99_ms=p99_us / 1000,
        cpu_postgres=cpu.postgres,
        cpu_process=cpu.process_percent,
        cpu_loadgen=cpu.loadgen,
    )


def _pgbench_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pgbench_script(query_name: str, arguments: Mapping[str, Any], prefix: str) -> tuple[str, dict[str, str]]:
    """The named query's SQL as aiosql prepared it, with pgbench variables for its $n parameters.

    pgbench variables cannot be NULL, so NULL arguments are written as NULL.
    Each script gets its own variable names (`prefix`), defined with -D.
    """
    order: list[str] = parameter_order(query_name)
    variables: dict[str, str] = {}

    def variable(match: re.Match[str]) -> str:
        name = order[int(match.group(1)) - 1]
        value = arguments[name]
        if value is None:
            return "NULL"
        variables[f"{prefix}_{name}"] = _pgbench_text(value)
        return f":{prefix}_{name}"

    sql: str = query_sql(query_name)
    return re.sub(r"\$(\d+)\b", variable, sql), variables


def run_pgbench(
    server: BenchServer,
    query_name: str,
    argument_sets: Sequence[Mapping[str, Any]],
    *,
    clients: int,
    session: Mapping[str, str],
    seconds: float,
    warmup_seconds: float = 0,
) -> Measurement:
    """pgbench -M prepared running `query_name`, each transaction with one of `argument_sets` at random.

    `session` holds the settings the service's own sessions start with.
    """
    if len(argument_sets) > PGBENCH_MAX_SCRIPTS:
        raise ValueError(f"pgbench takes at most {PGBENCH_MAX_SCRIPTS} scripts")
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as scratch:
        directory = Path(scratch)
        options: list[str] = []
        for number, arguments in enumerate(argument_sets):
            script, variables = pgbench_script(query_name, arguments, f"s{number}")
            path = directory / f"{number}.sql"
            path.write_text(script + "\n")
            options += ["-f", f"{path}@1", *(f"-D{name}={value}" for name, value in variables.items())]

        def pgbench(duration: float, log_prefix: Path | None) -> str:
            command = [
                pg_tool("pgbench"), "-n", "-M", "prepared", "-c", str(clients), "-j", "1", "-T", f"{duration:.0f}",
                "-h", server.host, "-p", str(server.port), "-U", "postgres", *options,
            ]  # fmt: skip
            if log_prefix is not None:
                command += ["-l", f"--log-prefix={log_prefix}"]
            env = {**os.environ, "PGOPTIONS": " ".join(f"-c {name}={value}" for name, value in session.items())}
            result = subprocess.run([*command, "postgres"], check=True, capture_output=True, text=True, env=env)
            failed = PGBENCH_FAILED.search(result.stdout)
            if failed and int(failed.group(1)):
                raise RuntimeError(f"pgbench: {failed.group(0)}\n{result.stderr[-2000:]}")
            return result.stdout

        if warmup_seconds:
            pgbench(warmup_seconds, None)
        with CpuWindow(server, None) as cpu:
            output = pgbench(seconds, directory / "log")
        found = PGBENCH_TPS.search(output)
        if found is None:
            raise RuntimeError(f"pgbench printed no tps:\n{output}")
        latencies = sorted(
            int(line.split()[2]) for log in directory.glob("log*") for line in log.read_text().splitlines()
        )
    return Measurement(
        per_second=float(found.group(1)),
        p50_ms=percentile(latencies, 50) / 1000,
        p99_ms=percentile(latencies, 99) / 1000,
        cpu_postgres=cpu.postgres,
        cpu_process=None,
        cpu_loadgen=cpu.loadgen,
    )


def percentile(ordered: Sequence[int], percent: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, int(len(ordered) * percent / 100))
    return float(ordered[index])
