"""One mapping from failures to HTTP statuses and the `{"error": ...}` body.

Messages help the caller act; they never carry SQL, driver text or traces.
"""

import logging
import re
from typing import Any

import asyncpg
import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_409_CONFLICT,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

log = logging.getLogger(__name__)


class FieldError(msgspec.Struct):
    field: str
    message: str


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The body of every error response."""

    error: str
    details: list[FieldError] | None = None


class InvalidInput(HTTPException):
    """A 400 about one field of the request, raised by validation code."""

    status_code = HTTP_400_BAD_REQUEST

    def __init__(self, field: str, message: str) -> None:
        super().__init__(detail=f"{field} {message}")
        self.field = field
        self.message = message


class InvalidFields(HTTPException):
    """A 400 about several fields at once (each named in `details`)."""

    status_code = HTTP_400_BAD_REQUEST

    def __init__(self, details: list[FieldError]) -> None:
        first = details[0]
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        super().__init__(detail=f"{first.field} {first.message}{more}")
        self.details = details


class Conflict(HTTPException):
    """409: a duplicate, or a state change that is no longer possible."""

    status_code = HTTP_409_CONFLICT


class TooManyJobs(HTTPException):
    """429: a per-user limit on starting jobs; Retry-After tells when to try again."""

    status_code = HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail, headers={"Retry-After": "60"})


# Every 503 tells the client when to try again (the database's trouble is usually brief).
RETRY_AFTER_SECONDS = "5"
RETRY_LATER = {"Retry-After": RETRY_AFTER_SECONDS}


class TooManyOpen(HTTPException):
    """429: the caller already has as many long responses (exports, event streams) open as allowed."""

    status_code = HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, detail: str, retry_after_seconds: int = 10) -> None:
        super().__init__(detail=detail, headers={"Retry-After": str(retry_after_seconds)})


def _error_response(status: int, body: ErrorBody, headers: dict[str, str] | None = None) -> Response[bytes]:
    if status == HTTP_503_SERVICE_UNAVAILABLE:
        headers = {**RETRY_LATER, **(headers or {})}
    return Response(content=msgspec.json.encode(body), status_code=status, media_type=MediaType.JSON, headers=headers)


def camel_case(name: str) -> str:
    """`has_active_jobs` -> `hasActiveJobs`: Litestar reports parameters by their Python names."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_BODY_FIELD_MESSAGES = (
    (re.compile(r"Object missing required field `(?P<field>[^`]+)`"), "is required"),
    (re.compile(r"Object contains unknown field `(?P<field>[^`]+)`"), "is not an accepted field"),
)


def _field_error(key: str, message: str) -> FieldError:
    if key == "data":  # Litestar's name for the whole body: find the field in msgspec's message.
        # msgspec.ValidationError carries only its message (no structured path), so the
        # field is read from it; tests/test_errors.py pins the messages this expects.
        for pattern, meaning in _BODY_FIELD_MESSAGES:
            if found := pattern.search(message):
                return FieldError(field=found["field"], message=meaning)
        return FieldError(field="body", message=message)
    return FieldError(field=camel_case(key), message=message)


def _validation_details(extra: Any) -> list[FieldError]:
    details = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            details.append(_field_error(key, str(item.get("message", "invalid value"))))
    return details


_FOR_PATH = re.compile(r" for path \S+$")


def _validation_summary(details: list[FieldError]) -> str:
    first = details[0]
    if first.message.startswith(("is ", "must ")):
        return f"{first.field} {first.message}"
    return f"Invalid value for {first.field}: {first.message}"


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        # The framework's own 5xx details describe our internals, not the caller's request.
        return internal_error_handler(request, exc)
    if isinstance(exc, InvalidInput):
        details = [FieldError(field=exc.field, message=exc.message)]
        return _error_response(exc.status_code, ErrorBody(error=exc.detail, details=details))
    if isinstance(exc, InvalidFields):
        return _error_response(exc.status_code, ErrorBody(error=exc.detail, details=exc.details))
    if isinstance(exc, ValidationException):
        details = _validation_details(exc.extra)
        # Without details Litestar's own message is the useful one ("JSON is malformed: ...",
        # "Missing required query parameter 'x' for path /y"); the path adds nothing.
        message = _validation_summary(details) if details else _FOR_PATH.sub("", exc.detail)
        return _error_response(exc.status_code, ErrorBody(error=message, details=details or None))
    return _error_response(exc.status_code, ErrorBody(error=exc.detail), headers=exc.headers)


# SQLSTATE -> (status, message). Classes are matched by their first two characters.
_SQLSTATES: dict[str, tuple[int, str]] = {
    "23505": (409, "A record with these values already exists"),
    "23503": (409, "The record refers to something that does not exist or is still referenced"),
    "23514": (400, "A value is out of the allowed range"),
    "23502": (400, "A required value is missing"),
    "40001": (503, "The database is busy; retry the request"),
    "40P01": (503, "The database is busy; retry the request"),
    "57014": (503, "The database took too long to answer; retry later"),
}
_SQLSTATE_CLASSES: dict[str, tuple[int, str]] = {
    "22": (400, "A value has the wrong format or is out of range"),
    "08": (503, "The database is unavailable; retry later"),
    "53": (503, "The database is overloaded; retry later"),
    "57": (503, "The database is unavailable; retry later"),
}


def postgres_error_handler(request: Request[Any, Any, Any], exc: asyncpg.PostgresError) -> Response[bytes]:
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    status, message = _SQLSTATES.get(sqlstate) or _SQLSTATE_CLASSES.get(
        sqlstate[:2], (HTTP_500_INTERNAL_SERVER_ERROR, "Internal server error")
    )
    if status >= 500:
        log.error("database error %s on %s %s: %s", sqlstate, request.method, request.url.path, exc)
    return _error_response(status, ErrorBody(error=message))


def unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    return _error_response(HTTP_503_SERVICE_UNAVAILABLE, ErrorBody(error="The database is unavailable; retry later"))


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_response(HTTP_500_INTERNAL_SERVER_ERROR, ErrorBody(error="Internal server error"))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: http_exception_handler,
    asyncpg.PostgresError: postgres_error_handler,
    # Pool exhaustion (acquire timeout), a lost connection, a refused connect.
    # (TimeoutError is an OSError.)
    asyncpg.InterfaceError: unavailable_handler,
    OSError: unavailable_handler,
    Exception: internal_error_handler,
}
