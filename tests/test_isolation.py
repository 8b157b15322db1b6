"""One client, slow or hostile, does not hurt the others: tried from outside against `python main.py`.

Slow CSV readers, many concurrent exports, oversized headers, a body that never
arrives, and a client that leaves half-way.
"""

import asyncio
import csv
import io
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
import uvicorn
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.http_limits import BoundedHttpToolsProtocol
from service.settings import Settings
from tests.conftest import SECRET, TokenFactory
from tests.factories import add_job, big_creator, create_campaign, fixtures
from tests.processes import child_env, free_port, running_service

Client = AsyncTestClient[Any]
POOL_SIZE = 3
SLOW_READERS = 5
BIG_JOB_PAGES = 50
BIG_JOB_CREATORS_PER_PAGE = 200  # 10,000 creators, about 10 MB of CSV: far more than socket buffers hold


@pytest.fixture(scope="module")
def service(dsn: str) -> Iterator[tuple[str, Any]]:
    env = child_env(
        DATABASE_URL=dsn,
        AUTH_JWT_SECRET=SECRET,
        RUN_WORKER="false",
        DB_POOL_MAX_SIZE=str(POOL_SIZE),
        DB_ACQUIRE_TIMEOUT_SECONDS="1",
        EXPORTS_PER_USER="25",
        MAX_HEADER_BYTES="16384",
        BODY_TIMEOUT_SECONDS="1",
    )
    with running_service(env) as (url, process):
        yield url, process


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def raw_request(url: str, head: bytes, *, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(address(url))
    sock.sendall(head)
    return sock


def read_response(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


async def test_slow_csv_readers_hold_no_connection(
    service: tuple[str, Any], client: Client, auth: dict[str, str], auth_for: TokenFactory, pool: asyncpg.Pool
) -> None:
    url, _ = service
    campaign = await create_campaign(client, auth)
    pages = [[big_creator(p, i) for i in range(BIG_JOB_CREATORS_PER_PAGE)] for p in range(BIG_JOB_PAGES)]
    job = await add_job(pool, campaign, pages=pages)
    head = (
        f"GET /api/jobs/{job}/creators?format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n\r\n"
    ).encode()
    readers = [raw_request(url, head, receive_buffer=4096) for _ in range(SLOW_READERS)]
    try:
        for reader in readers:
            reader.settimeout(10)
            assert reader.recv(12) == b"HTTP/1.1 200", "the export started"
        await asyncio.sleep(1)  # the service writes until the sockets are full, then waits on the readers

        async with pool.acquire() as conn:
            idle_in_transaction = await fixtures.idle_in_transaction_sessions(conn)
        assert idle_in_transaction == 0, "no export keeps a transaction open while its client does not read"

        other = auth_for("user_bystander")
        async with httpx.AsyncClient(base_url=url, timeout=10) as bystander:
            started = time.monotonic()
            answers = [(await bystander.get("/api/campaigns", headers=other)).status_code for _ in range(2 * POOL_SIZE)]
        assert answers == [200] * (2 * POOL_SIZE), "other users are served while the slow readers wait"
        assert time.monotonic() - started < 5, "without waiting for a pooled connection"
    finally:
        for reader in readers:
            reader.close()


async def test_concurrent_exports_all_complete(
    service: tuple[str, Any], client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    url, _ = service
    campaign = await create_campaign(client, auth)
    job = await add_job(pool, campaign, pages=[[big_creator(p, i) for i in range(100)] for p in range(30)])

    async def export(http: httpx.AsyncClient) -> int | None:
        """The rows of a whole export, or None for a clear refusal before the status line (503)."""
        # An export cut short raises here (httpx: an incomplete chunked body).
        response = await http.get(f"/api/jobs/{job}/creators", params={"format": "csv"}, headers=auth)
        if response.status_code == 503:
            assert "retry-after" in response.headers
            return None
        assert response.status_code == 200
        return len(list(csv.DictReader(io.StringIO(response.text))))

    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        exports = await asyncio.gather(*(export(http) for _ in range(20)))
    whole = [rows for rows in exports if rows is not None]
    assert whole == [3000] * len(whole), "every export that answered 200 is whole"
    # How many start depends on the machine's speed: exports read with a third of the pool
    # (one connection here), and one that cannot start within the acquire timeout is a 503.
    assert whole, exports


def test_oversized_headers_are_431_and_not_read(service: tuple[str, Any], verifier: TokenVerifier) -> None:
    url, _ = service
    sock = raw_request(url, b"GET /api/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
    try:
        for _ in range(100 * 16):  # up to 100 MB, in 64 KB pieces
            sock.sendall(b"a" * 65536)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused long before the end
    answer = read_response(sock)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    token = verifier.issue("user_after_431")
    assert httpx.get(f"{url}/api/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_large_body_sent_with_its_headers_is_no_431(service: tuple[str, Any], auth: dict[str, str]) -> None:
    # The headers end early in the first piece; the body after them is not header bytes
    # (the fuzzer found a 200 KB body answered 431 when it came in the same piece).
    url, _ = service
    body = b'{"brandDescription": "' + b"x" * 200_000 + b'"}'
    head = (
        "PATCH /api/onboarding/step-2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nAuthorization: {auth['Authorization']}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = raw_request(url, head + body)
    answer = read_response(sock)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]  # too long a description, not too large headers


def test_a_body_that_never_arrives_is_408(service: tuple[str, Any], auth: dict[str, str]) -> None:
    url, _ = service
    head = (
        "POST /api/campaigns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: 1000\r\nAuthorization: {auth['Authorization']}\r\n\r\n"
    ).encode()
    sock = raw_request(url, head)
    started = time.monotonic()
    answer = read_response(sock)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 5, "after BODY_TIMEOUT_SECONDS (1 s here), not minutes"


def test_a_client_that_leaves_is_no_error(dsn: str, auth: dict[str, str]) -> None:
    env = child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, RUN_WORKER="false")
    with running_service(env) as (url, process):
        head = (
            "POST /api/campaigns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f'Content-Length: 1000\r\nAuthorization: {auth["Authorization"]}\r\n\r\n{{"name": '
        ).encode()
        for _ in range(3):
            sock = raw_request(url, head)
            time.sleep(0.2)
            sock.close()
        time.sleep(0.5)
        assert httpx.get(f"{url}/health").status_code == 200
    log = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in log, log[-3000:]
    assert "unhandled" not in log, log[-3000:]


async def test_a_connection_kept_alive_serves_requests_after_a_csv(
    service: tuple[str, Any], client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    # A browser or a generated client reuses its connection after a download.
    url, _ = service
    campaign = await create_campaign(client, auth)
    job = await add_job(pool, campaign, result_pages=2)
    async with httpx.AsyncClient(base_url=url, headers=auth, limits=httpx.Limits(max_connections=1)) as one:
        for _ in range(3):
            download = await one.get(f"/api/jobs/{job}/creators.csv")
            assert download.status_code == 200, download.text
            assert (await one.get("/api/campaigns")).status_code == 200


async def test_a_client_that_leaves_before_its_stream_starts_is_no_error(
    dsn: str, client: Client, auth: dict[str, str], pool: asyncpg.Pool
) -> None:
    # The request arrives whole and the client is gone before the response starts: the stream's
    # wait for a disconnect is the first to read the connection, and must simply end the stream.
    campaign = await create_campaign(client, auth)
    finished = await add_job(pool, campaign, pages=[[big_creator(0, i) for i in range(BIG_JOB_CREATORS_PER_PAGE)]])
    running = await add_job(pool, campaign, status="processing")
    env = child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, RUN_WORKER="false")
    with running_service(env) as (url, process):
        for path in (f"/api/jobs/{finished}/creators.csv", f"/api/jobs/{running}/events"):
            for _ in range(5):
                sock = raw_request(
                    url, f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n\r\n".encode()
                )
                sock.close()
        await asyncio.sleep(1)  # for the service to see the disconnects
        async with httpx.AsyncClient(base_url=url) as other:
            assert (await other.get("/health")).status_code == 200
    log = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in log, log[-3000:]


async def test_an_export_cut_half_way_is_aborted_and_logged_once(
    settings: Settings,
    dsn: str,
    client: Client,
    auth: dict[str, str],
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    campaign = await create_campaign(client, auth)
    pages = [[big_creator(p, i) for i in range(BIG_JOB_CREATORS_PER_PAGE)] for p in range(BIG_JOB_PAGES)]
    job = await add_job(pool, campaign, pages=pages)
    app = create_app(settings, dsn, TokenVerifier.from_settings(settings))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, port=port, log_config=None, http=BoundedHttpToolsProtocol, lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(200):  # up to 10 s for the server to start
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/jobs/{job}/creators?format=csv HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: {auth['Authorization']}\r\n\r\n".encode()
        )
        assert (await reader.readexactly(12)) == b"HTTP/1.1 200"
        with caplog.at_level(logging.INFO):
            await app.state.pool.close()  # the database goes away while the client reads
            body = await asyncio.wait_for(reader.read(), 30)  # to the end: the server closes the connection
        writer.close()
    finally:
        server.should_exit = True
        await serving
    assert not body.endswith(b"\r\n0\r\n\r\n"), "no last chunk: the client can tell the body is incomplete"
    assert f"CSV export of job {job} cut short" in caplog.text
    assert "Exception in ASGI application" not in caplog.text, "logged once, as a warning, without a traceback"
