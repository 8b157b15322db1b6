"""Schemathesis against the running service's own OpenAPI document (bounded, to keep CI fast).

For a longer local run:
    schemathesis --config-file tests/schemathesis.toml run http://127.0.0.1:8000/schema/openapi.json \\
        -H "Authorization: Bearer $(python main.py token fuzzer --admin)" --max-examples 500
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.auth import TokenVerifier
from service.paths import PROJECT_ROOT
from tests.conftest import SECRET
from tests.processes import child_env, running_service

MAX_EXAMPLES = "8"


@pytest.fixture
def service_url(dsn: str) -> Iterator[str]:
    with running_service(child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, RUN_WORKER="false")) as (url, _):
        yield url


def test_no_server_errors_and_responses_match_the_schema(service_url: str, verifier: TokenVerifier) -> None:
    token = verifier.issue("user_fuzzer", admin=True)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(PROJECT_ROOT / "tests" / "schemathesis.toml"),
            "run",
            f"{service_url}/schema/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "20261124",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_checks", "PYTHONPATH": str(PROJECT_ROOT), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
