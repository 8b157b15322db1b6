"""The service through PgBouncer in transaction pooling mode (Debian's pgbouncer; .ci/run installs it)."""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.settings import Settings
from tests.processes import free_port

PGBOUNCER = shutil.which("pgbouncer") or next(
    (path for path in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if Path(path).exists()), None
)
pytestmark = pytest.mark.skipif(
    PGBOUNCER is None, reason="pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)"
)
# PgBouncer refuses to run as root; run it as the user the embedded PostgreSQL runs as.
RUN_AS = "embedded_postgres" if os.geteuid() == 0 else None


@pytest.fixture(scope="module")
def pgbouncer_url(module_database: str) -> Iterator[str]:
    parts = urlsplit(module_database)
    socket_dir = parse_qs(parts.query)["host"][0]
    database = parts.path.lstrip("/")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pgbouncer-") as directory:
        home = Path(directory)
        home.chmod(0o777)
        (home / "users.txt").write_text('"postgres" ""\n')
        config = home / "pgbouncer.ini"
        config.write_text(
            f"""[databases]
app = host={socket_dir} port=5432 dbname={database} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home / "users.txt"}
pool_mode = transaction
max_client_conn = 200
default_pool_size = 4
logfile = {home / "pgbouncer.log"}
pidfile = {home / "pgbouncer.pid"}
"""
        )
        for path in home.iterdir():
            path.chmod(0o666)
        command = [str(PGBOUNCER), *(["-u", RUN_AS] if RUN_AS else []), str(config)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert process.poll() is None, process.stderr.read() if process.stderr else "pgbouncer exited"
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.05)
            yield f"postgresql://postgres@127.0.0.1:{port}/app"
        finally:
            process.terminate()
            process.wait(timeout=10)


async def test_the_service_works_through_pgbouncer_in_transaction_mode(
    pgbouncer_url: str, module_database: str
) -> None:
    settings = Settings(
        database_url=pgbouncer_url,
        listen_database_url=module_database,  # LISTEN cannot go through a transaction pooler
        db_statement_cache_size=0,
        auth_jwt_secret="b" * 40,
        access_log=False,
        simulated_latency_ms=10,
    )
    verifier = TokenVerifier.from_settings(settings)
    headers = {"Authorization": f"Bearer {verifier.issue(f'user_{uuid.uuid4().hex}')}"}
    async with AsyncTestClient(app=create_app(settings, pgbouncer_url, verifier)) as client:
        campaigns = await asyncio.gather(
            *(
                client.post("/api/campaigns", json={"name": f"c{i}", "searchType": "keyword"}, headers=headers)
                for i in range(20)
            )
        )
        assert {r.status_code for r in campaigns} == {201}
        listed = await client.get("/api/campaigns", params={"limit": 100}, headers=headers)
        assert listed.json()["pagination"]["total"] == 20

        job = await client.post(
            "/api/scraping/tiktok",
            json={"campaignId": campaigns[0].json()["id"], "keywords": ["street style"], "targetResults": 60},
            headers=headers,
        )
        assert job.status_code == 201
        detail: dict[str, Any] = {}
        for _ in range(200):
            detail = (await client.get(f"/api/jobs/{job.json()['id']}", headers=headers)).json()
            if detail["status"] == "completed":
                break
            await asyncio.sleep(0.05)
        assert (detail["status"], detail["processedResults"]) == ("completed", 60)
        export = await client.get(f"/api/jobs/{job.json()['id']}/creators", params={"format": "csv"}, headers=headers)
        assert export.text.count("\r\n") == 61
