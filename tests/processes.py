"""Real processes for tests: python main.py (serving or working) on a free port, stopped afterwards."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from service.paths import PROJECT_ROOT

# Variables that would make a child process use another database, secret or provider speed.
INHERITED_OUT = ("DATABASE_URL", "LISTEN_DATABASE_URL", "AUTH_", "SIMULATED_", "API_PROCESSES")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(**settings: str) -> dict[str, str]:
    """This process's environment without our settings, plus `settings`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_OUT)}
    return {**base, "ACCESS_LOG": "false", "LOG_LEVEL": "WARNING", **settings}


def main_py(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`python main.py *args`; `process.stderr` reads its log from the start, at any time.

    The log goes to an unlinked temporary file rather than a pipe: a pipe nobody reads while the
    child runs fills after 64 KB and then blocks the child's event loop on its next log line.
    """
    with tempfile.NamedTemporaryFile("w", prefix="main-py-", suffix=".log", delete=False) as log:
        process = subprocess.Popen(
            [sys.executable, "main.py", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
    process.stderr = open(log.name)  # noqa: SIM115 (it lives as long as the process object)
    os.unlink(log.name)
    return process


def wait_until_ready(url: str, process: subprocess.Popen[str]) -> None:
    """Return once `url`/ready answers 200; fail if the process exits or 60 s pass."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.stderr.read() if process.stderr else "the service exited"
        assert time.monotonic() < deadline, "the service did not become ready within 60 s"
        time.sleep(0.1)


@contextmanager
def running_service(
    env: dict[str, str], *, stop: signal.Signals = signal.SIGTERM
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python main.py` with `env` (PORT is chosen here): its URL once /ready answers 200."""
    port = free_port()
    process = main_py(env={**env, "PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
        yield url, process
    finally:
        process.send_signal(stop)
        process.wait(timeout=30)


def worker_process(database: str, *, latency_ms: int, concurrency: int = 1) -> subprocess.Popen[str]:
    """`python main.py worker` against `database`, with the simulated provider at `latency_ms`."""
    env = child_env(DATABASE_URL=database, SIMULATED_LATENCY_MS=str(latency_ms))
    return main_py("worker", "--concurrency", str(concurrency), env=env)
