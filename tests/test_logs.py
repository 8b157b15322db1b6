"""Logs: LOG_FORMAT=json, a request id on every line a request causes, job and worker ids on the worker's."""

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import TimedAdapter, create_pool
from service.logs import (
    ACCESS_LOGGER,
    ACCESS_MESSAGE,
    JsonFormatter,
    LogContext,
    TextFormatter,
    log_context,
    log_handler,
    request_id_of,
)
from service.paths import PROJECT_ROOT
from service.settings import Settings, SettingsError, load_settings
from tests.conftest import SECRET
from tests.processes import child_env, running_service
from tests.test_worker import new_job, running_worker, wait_for

Lines = list[dict[str, Any]]


@contextmanager
def captured(logger_name: str = "") -> Iterator[Lines]:
    """The lines logged inside the block, as the JSON handler writes them, decoded when it ends."""
    stream = io.StringIO()
    handler = log_handler("json")
    handler.setStream(stream)  # type: ignore[attr-defined]
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: Lines = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()  # writes what the handler still holds
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


@pytest.fixture
def every_query_slow() -> Iterator[None]:
    """SLOW_QUERY_MS=0: each query writes a slow-query line, in the context it runs in."""
    before = TimedAdapter.slow_seconds
    TimedAdapter.slow_seconds = 0.0
    yield
    TimedAdapter.slow_seconds = before


def test_log_level_and_format_are_read_in_any_case() -> None:
    settings = load_settings({"LOG_LEVEL": "warning", "LOG_FORMAT": "JSON"})
    assert (settings.log_level, settings.log_format) == ("WARNING", "json")
    assert load_settings({}).log_format == "text"
    with pytest.raises(SettingsError):
        load_settings({"LOG_FORMAT": "xml"})


def record(message: str, *args: object, name: str = "service.test", exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError as error:
            exc_info = (type(error), error, error.__traceback__)
    return logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, exc_info)


def test_the_json_formatter_writes_one_object_a_line_with_context_access_fields_and_exception() -> None:
    line = record(ACCESS_MESSAGE, "127.0.0.1:5", "GET", "/health", "1.1", 200, name=ACCESS_LOGGER)
    line.log_context = LogContext({"request_id": "r1"})
    entry = json.loads(JsonFormatter().format(line))
    assert entry["message"] == '127.0.0.1:5 - "GET /health HTTP/1.1" 200'
    assert (entry["request_id"], entry["method"], entry["path"], entry["status"]) == ("r1", "GET", "/health", 200)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == ACCESS_LOGGER
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])

    failed = JsonFormatter().format(record("it failed:\nsecond line", exc=True))
    assert "\n" not in failed, "a multi-line message and its traceback stay on one line"
    assert "ValueError: boom" in json.loads(failed)["exception"]


def test_the_text_formatter_puts_the_context_on_the_line() -> None:
    line = record("slow query %s", "get_job")
    line.log_context = LogContext({"job_id": "j1", "worker_id": "w/0"})
    assert TextFormatter().format(line).endswith("WARNING service.test: slow query get_job job_id=j1 worker_id=w/0")
    assert TextFormatter().format(record("plain")).endswith("service.test: plain")


def test_a_request_id_is_kept_only_when_plain_and_short() -> None:
    assert request_id_of([(b"x-request-id", b"abc-123_X.y")]) == "abc-123_X.y"
    for bad in (b"", b"a" * 129, b"has space", b"new\nline", b'{"json":1}'):
        replaced = request_id_of([(b"x-request-id", bad)])
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), bad
    assert request_id_of([]) != request_id_of([]), "a new id each time"


def test_log_context_nests_and_ends_with_its_block() -> None:
    logger = logging.getLogger("tests.context")
    with captured("tests.context") as lines:
        with log_context(worker_id="w"):
            with log_context(job_id="j"):
                logger.info("inside")
            logger.info("between")
        logger.info("outside")
    assert [(line.get("worker_id"), line.get("job_id")) for line in lines] == [("w", "j"), ("w", None), (None, None)]


@pytest.fixture
async def exhaustible(dsn: str) -> AsyncIterator[tuple[AsyncTestClient[Any], asyncpg.Pool]]:
    """The app with a pool of one connection and a short acquire timeout, and that pool."""
    settings = Settings(
        database_url=dsn,
        auth_jwt_secret=SECRET,
        db_pool_min_size=1,
        db_pool_max_size=1,
        db_acquire_timeout_seconds=0.2,
        access_log=False,
        run_worker=False,
    )
    app = create_app(settings, dsn)
    async with AsyncTestClient(app=app) as client:
        yield client, app.state.pool


async def test_the_request_id_is_returned_and_on_every_line_the_request_causes(
    client: AsyncTestClient[Any], auth: dict[str, str], every_query_slow: None
) -> None:
    with captured() as lines:
        sent = await client.get("/api/campaigns", headers={**auth, "X-Request-ID": "trace-42"})
        generated = await client.get("/api/campaigns", headers=auth)
        unmatched = await client.get("/no/such/route", headers={"X-Request-ID": "trace-404"})
    assert sent.status_code == 200
    assert sent.headers["x-request-id"] == "trace-42"
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert unmatched.status_code == 404
    assert unmatched.headers["x-request-id"] == "trace-404", "even a request no route matches"
    slow = [line for line in lines if line["message"].startswith("slow query")]
    assert slow, "the campaigns page ran queries"
    assert {line.get("request_id") for line in slow} == {"trace-42", generated.headers["x-request-id"]}


async def test_pool_exhaustion_answers_503_with_retry_after_and_logs_with_the_request_id(
    exhaustible: tuple[AsyncTestClient[Any], asyncpg.Pool], user_id: str
) -> None:
    client, pool = exhaustible
    token = TokenVerifier(secret=SECRET).issue(user_id)
    with captured() as lines:
        async with pool.acquire():  # the only connection: every request now waits for the acquire timeout
            response = await client.post(
                "/api/scraping/tiktok",
                json={"campaignId": "00000000-0000-0000-0000-000000000000", "keywords": ["x"]},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "exhausted-1"},
                timeout=10,
            )
    assert response.status_code == 503, "a configuration read waits no longer than the acquire timeout"
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-request-id"] == "exhausted-1"
    warnings = [line for line in lines if line["level"] in ("WARNING", "ERROR")]
    assert warnings
    assert {line.get("request_id") for line in warnings} == {"exhausted-1"}


async def test_worker_lines_carry_the_job_and_worker_ids(module_database: str) -> None:
    settings = Settings(database_url=module_database, run_worker=False, simulated_latency_ms=0)
    pool = await create_pool(module_database, settings)
    try:
        job_id = await new_job(pool, target=20)
        with captured("service.worker") as lines:
            async with running_worker(pool, settings) as worker:
                await wait_for(pool, job_id, lambda job: job["status"] == "completed")
    finally:
        await pool.close()
    completed = [line for line in lines if line["message"] == f"job {job_id} completed: target_reached"]
    assert len(completed) == 1
    assert completed[0]["job_id"] == job_id
    assert completed[0]["worker_id"] == f"{worker.worker_id}/0"
    assert [line["message"] for line in lines if not line.get("worker_id", "").startswith(worker.worker_id)] == []


def test_json_logs_of_a_running_service_carry_the_request_id_end_to_end(dsn: str) -> None:
    # Every query counts as slow, so the request's own queries write lines too.
    logging_on = {"LOG_FORMAT": "json", "LOG_LEVEL": "info", "ACCESS_LOG": "true", "SLOW_QUERY_MS": "0"}
    env = {**child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, RUN_WORKER="false"), **logging_on}
    token = TokenVerifier(secret=SECRET).issue("user_json_logs")
    with running_service(env) as (url, process):
        response = httpx.get(
            f"{url}/api/campaigns", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "end-to-end-7"}
        )
        assert response.headers["x-request-id"] == "end-to-end-7"
    assert process.stderr is not None
    output = process.stderr.read()
    lines = [json.loads(line) for line in output.splitlines()]  # every line is one JSON object
    mine = [line for line in lines if line.get("request_id") == "end-to-end-7"]
    assert {line["logger"] for line in mine} >= {ACCESS_LOGGER, "service.database"}, mine
    access = next(line for line in mine if line["logger"] == ACCESS_LOGGER)
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/campaigns", 200)


def test_a_lower_case_log_level_starts_the_program() -> None:
    """LOG_LEVEL=warning used to stop the service at start; now it only picks the level."""
    result = subprocess.run(
        [sys.executable, "main.py", "token", "someone"],
        env={**child_env(AUTH_JWT_SECRET=SECRET), "LOG_LEVEL": "warning"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
