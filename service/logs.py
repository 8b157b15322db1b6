"""Log lines for people (text) or machines (JSON, one object a line), each carrying its context.

The standard library's logging with two small formatters, rather than
structlog: every line worth having already goes through stdlib logging
(asyncpg, uvicorn, yoyo, our modules), so a formatter sees them all without
bridging two systems. The one line written per request, the access line, is
the exception to the generic path: it is formatted straight into the same
words and fields (see `log_access`), because a LogRecord, the handler's
filters and lock and a write per line cost several percent of a request.

The context is a context variable: set once per request by `RequestIds` (the
request id) and per job or loop by the worker (`log_context`), it is on every
line written while that work runs, including the access line, slow queries
and errors.
"""

import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from service.log_output import BatchingStreamHandler


class LogContext:
    """The fields added to each line, and their text form, built once when the context is set."""

    __slots__ = ("fields", "text")

    def __init__(self, fields: Mapping[str, str], text: str | None = None) -> None:
        self.fields = fields
        self.text = "".join(f" {key}={value}" for key, value in fields.items()) if text is None else text

    @classmethod
    def of_request(cls, request_id: str) -> "LogContext":
        return cls({"request_id": request_id}, f" request_id={request_id}")


_NO_CONTEXT = LogContext(MappingProxyType({}))
_context: ContextVar[LogContext] = ContextVar("log_context", default=_NO_CONTEXT)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()
# A caller's id is kept when it is plain and short (a UUID, a trace id); anything
# else is replaced, so a client cannot forge log lines or bloat them.
_ACCEPTABLE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:+=/-]{1,128}")


@contextmanager
def log_context(**fields: str) -> Iterator[None]:
    """Add `fields` to every line logged inside the block (in this task and the tasks it starts)."""
    token = _context.set(LogContext({**_context.get().fields, **fields}))
    try:
        yield
    finally:
        _context.reset(token)


class _RequestIdSource:
    """32 hex digits: a random prefix per process and a counter.

    Unique across processes and restarts without a system call per request
    (os.urandom per id cost more than the rest of the request-id handling);
    a forked child draws its own prefix.
    """

    def __init__(self) -> None:
        self.renew()
        os.register_at_fork(after_in_child=self.renew)

    def renew(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


new_request_id = _RequestIdSource()


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when acceptable, else a new one."""
    for name, value in headers:
        if name == _REQUEST_ID_KEY:
            if _ACCEPTABLE_REQUEST_ID.fullmatch(value):
                return value.decode()
            break
    return new_request_id()


class RequestIds:
    """ASGI wrapper: a request id for each HTTP request, in its log lines and its response; and the access line.

    It wraps the whole application (not one route's stack), so requests that
    match no route carry the id too, and have their access line. The access
    line is written here rather than by uvicorn (which the service starts with
    its access log off): at the response's start, as uvicorn did, in the same
    words, through `log_access`.
    """

    def __init__(self, app: ASGIApp, *, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])
        header = (_REQUEST_ID_KEY, request_id.encode())
        context = LogContext.of_request(request_id)
        access_log = self.access_log
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
                started = True
                if access_log:
                    log_access(scope, message["status"], context)
            await send(message)

        token = _context.set(context)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _context.reset(token)
            if access_log and not started:
                # The server answers 500 for an application that failed before its response.
                log_access(scope, 500, context)


class _AttachContext(logging.Filter):
    """Records the context where the line is written (the handler runs in the same task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.log_context = _context.get()
        return True


class _SecondsText:
    """A timestamp's text up to the second, made once a second (strftime per line was a visible cost)."""

    __slots__ = ("_cached", "_render")

    def __init__(self, render: Callable[[int], str]) -> None:
        self._render = render
        self._cached = (-1, "")

    def __call__(self, created: float) -> str:
        second = int(created)
        cached = self._cached
        if cached[0] != second:
            cached = self._cached = (second, self._render(second))  # one store: safe to read from any thread
        return cached[1]


def _milliseconds(created: float) -> int:
    return int((created - int(created)) * 1000)  # as LogRecord.msecs


ACCESS_LOGGER = "service.access"
# The access line's words and fields, as uvicorn's access log had them.
ACCESS_MESSAGE = '%s - "%s %s HTTP/%s" %d'
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")
AccessFields = tuple[str, str, str, str, int]


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...`: readable, with the context at the end of the first line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s%(context_text)s")
        self._seconds = _SecondsText(lambda second: time.strftime(self.default_time_format, self.converter(second)))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        return f"{self._seconds(record.created)},{_milliseconds(record.created):03d}"

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.context_text = getattr(record, "log_context", _NO_CONTEXT).text
        return super().formatMessage(record)

    def access_line(self, created: float, fields: AccessFields, context: LogContext) -> str:
        """What format() makes of the access record with these fields, without a record."""
        time_text = f"{self._seconds(created)},{_milliseconds(created):03d}"
        return f"{time_text} INFO {ACCESS_LOGGER}: {ACCESS_MESSAGE % fields}{context.text}"


def _utc_seconds(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context, and the exception."""

    def __init__(self) -> None:
        super().__init__()
        self._seconds = _SecondsText(_utc_seconds)

    def _time(self, created: float) -> str:
        return f"{self._seconds(created)}.{_milliseconds(created):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "log_context", _NO_CONTEXT).fields)
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == 5:
            entry.update(zip(_ACCESS_FIELDS, record.args, strict=True))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encode(entry).decode()

    def access_line(self, created: float, fields: AccessFields, context: LogContext) -> str:
        """What format() makes of the access record with these fields, without a record."""
        entry: dict[str, object] = {
            "time": self._time(created),
            "level": "INFO",
            "logger": ACCESS_LOGGER,
            "message": ACCESS_MESSAGE % fields,
        }
        entry.update(context.fields)
        entry.update(zip(_ACCESS_FIELDS, fields, strict=True))
        return _encode(entry).decode()


_encode = msgspec.json.Encoder().encode
_root = logging.getLogger()
_access_logger = logging.getLogger(ACCESS_LOGGER)


# What urllib.parse.quote(path) leaves as it is: then quoting (a Python loop over the bytes) can be skipped.
_NOTHING_TO_QUOTE = re.compile(r"[A-Za-z0-9_.~/-]*")


def path_with_query(scope: HTTPScope) -> str:
    """uvicorn's get_path_with_query_string, without quoting a path that needs none."""
    path: str = scope["path"]
    if not _NOTHING_TO_QUOTE.fullmatch(path):
        return get_path_with_query_string(scope)  # type: ignore[arg-type]  # an HTTP scope
    query: bytes = scope["query_string"]
    return f"{path}?{query.decode('ascii')}" if query else path


def log_access(scope: HTTPScope, status: int, context: LogContext) -> None:
    """The access line of one request.

    When the service's own handler is the only one (as configure_logging sets
    it up), the line is formatted directly and handed to it: no LogRecord, no
    filters, no per-line lock and write. Any other set-up (a test's capture,
    another handler) gets an ordinary record with the same words and fields.
    """
    if not _access_logger.isEnabledFor(logging.INFO):
        return
    fields: AccessFields = (
        get_client_addr(scope),  # type: ignore[arg-type]  # an HTTP scope
        scope["method"],
        path_with_query(scope),
        scope["http_version"],
        status,
    )
    handlers = _root.handlers
    if len(handlers) == 1 and not _access_logger.handlers:
        handler = handlers[0]
        formatter = handler.formatter
        if isinstance(handler, BatchingStreamHandler) and isinstance(formatter, TextFormatter | JsonFormatter):
            handler.write_line(formatter.access_line(time.time(), fields, context))
            return
    _access_logger.info(ACCESS_MESSAGE, *fields)


def log_handler(log_format: str) -> logging.Handler:
    handler = BatchingStreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_AttachContext())
    return handler
