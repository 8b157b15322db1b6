"""`python main.py` with no DATABASE_URL: embedded PostgreSQL that keeps data and stops with the service."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from service.embedded import server_pid
from service.paths import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "AUTH_"))}
    return {**env, "DATA_DIR": str(data_dir), "PORT": str(port), "ACCESS_LOG": "false"}


@contextmanager
def running_service(data_dir: Path, port: int, stop: signal.Signals) -> Iterator[str]:
    """Start `python main.py`, wait until it is ready, and stop it with `stop` afterwards."""
    process = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=PROJECT_ROOT,
        env=service_env(data_dir, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else "service exited"
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("service did not become ready within 60 s")
        yield base
    finally:
        process.send_signal(stop)
        assert process.wait(timeout=30) == 128 + stop


def token(data_dir: Path, user_id: str) -> str:
    done = subprocess.run(
        [sys.executable, "main.py", "token", user_id],
        cwd=PROJECT_ROOT,
        env=service_env(data_dir, 8000),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_data_survives_a_restart_and_no_postgres_survives_sigterm_or_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    with running_service(data_dir, port, signal.SIGTERM) as base:
        headers = {"Authorization": f"Bearer {token(data_dir, 'user_restart')}"}
        created = httpx.post(f"{base}/api/campaigns", json={"name": "Kept", "searchType": "similar"}, headers=headers)
        assert created.status_code == 201
        postgres = server_pid(data_dir)
        assert postgres is not None
    assert not psutil.pid_exists(postgres) or psutil.Process(postgres).status() == psutil.STATUS_ZOMBIE
    assert server_pid(data_dir) is None

    with running_service(data_dir, port, signal.SIGINT) as base:
        listed = httpx.get(f"{base}/api/campaigns", headers=headers)
        assert [c["id"] for c in listed.json()["campaigns"]] == [created.json()["id"]]
    assert server_pid(data_dir) is None
