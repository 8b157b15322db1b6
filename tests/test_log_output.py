"""Log lines in batches (service/log_output.py) and the access line's direct path (service/logs.py).

Nothing here waits for the flush timer to prove a point about time: the timer
is set to an hour wherever a test shows that something else writes the lines.
"""

import io
import json
import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from litestar.types import HTTPScope
from uvicorn.protocols.utils import get_path_with_query_string

from service.log_output import BatchingStreamHandler
from service.logs import (
    ACCESS_LOGGER,
    ACCESS_MESSAGE,
    JsonFormatter,
    LogContext,
    RequestIds,
    TextFormatter,
    log_access,
    log_handler,
    path_with_query,
)
from service.paths import PROJECT_ROOT

AN_HOUR = 3600.0


def batching(stream: io.StringIO, **options: Any) -> BatchingStreamHandler:
    handler = BatchingStreamHandler(stream, **options)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    return handler


def emit(handler: logging.Handler, level: int, message: str) -> None:
    handler.handle(logging.LogRecord("tests.batch", level, __file__, 1, message, None, None))


def test_info_lines_wait_and_a_warning_writes_them_all_at_once_in_order() -> None:
    stream = io.StringIO()
    handler = batching(stream, flush_seconds=AN_HOUR)
    try:
        emit(handler, logging.INFO, "first")
        emit(handler, logging.INFO, "second")
        assert stream.getvalue() == "", "INFO lines wait for the timer"
        emit(handler, logging.WARNING, "trouble")
        assert stream.getvalue() == "INFO first\nINFO second\nWARNING trouble\n"
        emit(handler, logging.ERROR, "worse")
        assert stream.getvalue().endswith("WARNING trouble\nERROR worse\n")
    finally:
        handler.close()


def test_the_timer_writes_waiting_lines_without_any_other_trigger() -> None:
    stream = io.StringIO()
    handler = batching(stream, flush_seconds=0.01)
    try:
        emit(handler, logging.INFO, "by the timer")
        deadline = time.monotonic() + 10
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue() == "INFO by the timer\n"
        emit(handler, logging.INFO, "and again")  # the flusher keeps serving after its first batch
        deadline = time.monotonic() + 10
        while stream.getvalue().count("\n") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue() == "INFO by the timer\nINFO and again\n"
    finally:
        handler.close()


def test_a_full_buffer_is_written_without_waiting() -> None:
    stream = io.StringIO()
    handler = batching(stream, flush_seconds=AN_HOUR, max_lines=3)
    try:
        for number in range(3):
            emit(handler, logging.INFO, str(number))
        assert stream.getvalue() == "INFO 0\nINFO 1\nINFO 2\n"
    finally:
        handler.close()


def test_close_and_a_new_stream_write_out_what_waits() -> None:
    old, new = io.StringIO(), io.StringIO()
    handler = batching(old, flush_seconds=AN_HOUR)
    emit(handler, logging.INFO, "for the old stream")
    handler.setStream(new)
    assert old.getvalue() == "INFO for the old stream\n"
    emit(handler, logging.INFO, "for the new stream")
    handler.write_line("preformatted")
    handler.close()
    assert new.getvalue() == "INFO for the new stream\npreformatted\n"
    emit(handler, logging.INFO, "after close")
    assert new.getvalue().endswith("after close\n"), "a line after close is written at once, not kept"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


CONFIGURED = """
    import logging, os, sys
    from service.logging_setup import configure_logging
    from service.settings import load_settings
    configure_logging(load_settings({"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}))
    logging.root.handlers[0].flush_seconds = 3600  # only the exit can write these lines
    for number in range(5):
        logging.getLogger("service.test").info("line %d", number)
"""


@pytest.mark.parametrize(
    "ending",
    ["", "sys.exit(3)", "raise RuntimeError('the program failed')"],
    ids=["normal exit", "sys.exit", "uncaught exception"],
)
def test_lines_waiting_at_exit_are_written(ending: str) -> None:
    result = run_python(CONFIGURED + "\n" + textwrap.indent(ending, "    "))
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == [f"line {number}" for number in range(5)], result.stderr


def test_a_forked_child_does_not_write_its_parents_waiting_lines_again() -> None:
    result = run_python(
        CONFIGURED
        + """
    pid = os.fork()
    if pid == 0:
        logging.getLogger("service.test").info("from the child")
        sys.exit(0)
    os.waitpid(pid, 0)
    """
    )
    messages = [json.loads(line)["message"] for line in result.stderr.splitlines() if line.startswith("{")]
    assert sorted(messages) == sorted([f"line {number}" for number in range(5)] + ["from the child"]), result.stderr


# The direct access line -------------------------------------------------------------------------

FIELDS = ("127.0.0.1:5000", "GET", '/api/x?q="quoted"\\ünï', "1.1", 404)


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
def test_the_direct_access_line_is_what_the_formatter_makes_of_the_record(
    formatter: TextFormatter | JsonFormatter,
) -> None:
    context = LogContext.of_request("req-1")
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, ACCESS_MESSAGE, FIELDS, None)
    record.log_context = context
    assert formatter.access_line(record.created, FIELDS, context) == formatter.format(record)


def test_the_json_access_line_stays_one_valid_object_whatever_the_path() -> None:
    line = JsonFormatter().access_line(time.time(), FIELDS, LogContext.of_request("req-2"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["path"] == FIELDS[2]
    assert (entry["logger"], entry["level"], entry["request_id"], entry["status"]) == (
        ACCESS_LOGGER,
        "INFO",
        "req-2",
        404,
    )


@get("/fails", sync_to_thread=False)
def fails() -> None:
    raise RuntimeError("handler failure")


@get("/fine", sync_to_thread=False)
def fine() -> str:
    return "fine"


async def dies_before_answering(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("no response at all")


@contextmanager
def root_handler(*handlers: logging.Handler, level: int = logging.INFO) -> Iterator[None]:
    """`handlers` as the root logger's (one, as configure_logging leaves it, or more)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = handlers
    root.setLevel(level)
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def served(app: Any) -> TestClient[Any]:
    litestar = Litestar(route_handlers=[fails, fine], logging_config=None)
    litestar.asgi_handler = RequestIds(app or litestar.asgi_handler, access_log=True)
    return TestClient(app=litestar, raise_server_exceptions=False)


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_access_lines_carry_the_request_id_through_the_direct_path(log_format: str) -> None:
    stream = io.StringIO()
    handler = log_handler(log_format)
    assert isinstance(handler, BatchingStreamHandler)
    handler.setStream(stream)
    handler.flush_seconds = AN_HOUR
    with root_handler(handler), served(None) as client:
        client.get("/fine", headers={"X-Request-ID": "direct-1"})
        client.get("/fails?a=1", headers={"X-Request-ID": "direct-2"})
        assert stream.getvalue() == "", "access lines wait in the buffer: they took the direct path"
        handler.flush()
    lines = stream.getvalue().splitlines()
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        access = [e for e in entries if e["logger"] == ACCESS_LOGGER]
        assert [(e["request_id"], e["method"], e["path"], e["status"]) for e in access] == [
            ("direct-1", "GET", "/fine", 200),
            ("direct-2", "GET", "/fails?a=1", 500),
        ]
    else:
        access = [line for line in lines if f" INFO {ACCESS_LOGGER}: " in line]
        assert [line.split(": ", 1)[1] for line in access] == [
            'testclient:50000 - "GET /fine HTTP/1.1" 200 request_id=direct-1',
            'testclient:50000 - "GET /fails?a=1 HTTP/1.1" 500 request_id=direct-2',
        ]


def test_with_any_other_handler_the_access_line_is_an_ordinary_record_with_the_same_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stream = io.StringIO()
    ours = log_handler("json")
    ours.setStream(stream)  # type: ignore[attr-defined]
    with root_handler(ours, caplog.handler), served(None) as client:
        client.get("/fine", headers={"X-Request-ID": "record-1"})
        ours.flush()
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert record.getMessage() == 'testclient:50000 - "GET /fine HTTP/1.1" 200'
    [entry] = [e for e in map(json.loads, stream.getvalue().splitlines()) if e["logger"] == ACCESS_LOGGER]
    assert (entry["logger"], entry["request_id"], entry["path"], entry["status"]) == (
        ACCESS_LOGGER,
        "record-1",
        "/fine",
        200,
    )


def test_an_application_that_fails_before_answering_has_a_500_access_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER), served(dies_before_answering) as client:
        assert client.get("/anything").status_code == 500
    assert [r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER] == [
        'testclient:50000 - "GET /anything HTTP/1.1" 500'
    ]


@pytest.mark.parametrize(
    ("path", "query"),
    [("/api/jobs/search", b"keyword=fit%20ness&x=1"), ("/a-b_c.d~e/0", b""), ("/ünï code/x", b"q=1"), ("/%2F", b"")],
)
def test_the_access_lines_path_is_uvicorns_whatever_needs_quoting(path: str, query: bytes) -> None:
    scope = cast(HTTPScope, {"type": "http", "path": path, "query_string": query})
    assert path_with_query(scope) == get_path_with_query_string(scope)  # type: ignore[arg-type]  # uvicorn's own type


def test_no_access_line_below_the_configured_level() -> None:
    stream = io.StringIO()
    handler = log_handler("json")
    handler.setStream(stream)  # type: ignore[attr-defined]
    with root_handler(handler, level=logging.WARNING):
        scope = {
            "type": "http",
            "client": None,
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "http_version": "1.1",
        }
        log_access(cast(HTTPScope, scope), 200, LogContext.of_request("quiet"))
        handler.flush()
    assert stream.getvalue() == ""
