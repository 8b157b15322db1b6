"""Schemathesis against the running service's own OpenAPI document (bounded, to keep CI fast).

For a longer local run:
    schemathesis run http://127.0.0.1:8000/schema/openapi.json \\
        -H "Authorization: Bearer $(python main.py token fuzzer --admin)" --max-examples 500 --checks all \\
        --exclude-checks positive_data_acceptance,allow_header_conformance
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.auth import TokenVerifier
from service.paths import PROJECT_ROOT
from tests.conftest import SECRET

# positive_data_acceptance: the service is stricter than JSON Schema can say (lengths
# counted after trimming, opaque cursors), so some schema-valid inputs are rightly 400s.
# allow_header_conformance: Litestar's automatic OPTIONS answer lists one handler's methods.
EXCLUDED_CHECKS = "positive_data_acceptance,allow_header_conformance"
MAX_EXAMPLES = "8"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def service_url(dsn: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "AUTH_JWT_SECRET": SECRET,
        "PORT": str(port),
        "RUN_WORKER": "false",
        "ACCESS_LOG": "false",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "main.py"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the service exited"
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_no_server_errors_and_responses_match_the_schema(service_url: str, verifier: TokenVerifier) -> None:
    token = verifier.issue("user_fuzzer", admin=True)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{service_url}/schema/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--max-examples",
            MAX_EXAMPLES,
            "--checks",
            "all",
            "--exclude-checks",
            EXCLUDED_CHECKS,
            "--seed",
            "20261124",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_checks", "PYTHONPATH": str(PROJECT_ROOT), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
