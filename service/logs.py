"""Log lines for people (text) or machines (JSON, one object a line), each carrying its context.

The standard library's logging with two small formatters, rather than
structlog: every line worth having already goes through stdlib logging
(uvicorn's access log, asyncpg, yoyo, our modules), so a formatter sees them
all without bridging two systems, and the per-line cost stays what it was:
one context-variable read, plus msgspec's encoder for JSON.

The context is a context variable: set once per request by `RequestIds` (the
request id) and per job or loop by the worker (`log_context`), it is on every
line written while that work runs, including the access line, slow queries
and errors.
"""

import itertools
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class LogContext:
    """The fields added to each line, and their text form, built once when the context is set."""

    __slots__ = ("fields", "text")

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields
        self.text = "".join(f" {key}={value}" for key, value in fields.items())


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
    """ASGI wrapper: a request id for each HTTP request, in its log lines and its response.

    It wraps the whole application (not one route's stack), so requests that
    match no route, and the server's access line, carry the id too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])
        header = (_REQUEST_ID_KEY, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = _context.set(LogContext({"request_id": request_id}))
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _context.reset(token)


class _AttachContext(logging.Filter):
    """Records the context where the line is written (the handler runs in the same task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.log_context = _context.get()
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ...`: readable, with the context at the end of the first line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s%(context_text)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.context_text = getattr(record, "log_context", _NO_CONTEXT).text
        return super().formatMessage(record)


# uvicorn's access line: '%s - "%s %s HTTP/%s" %d' % (client, method, path, version, status)
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "log_context", _NO_CONTEXT).fields)
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            entry.update(zip(_ACCESS_FIELDS, record.args, strict=True))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return msgspec.json.encode(entry).decode()


def log_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_AttachContext())
    return handler
