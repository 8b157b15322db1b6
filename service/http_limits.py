"""HTTP limits with clear answers, so that one client cannot hold what others need.

- Headers: a request whose request line and headers exceed MAX_HEADER_BYTES
  gets 431 and its connection is closed; nothing more of it is read or kept
  (uvicorn's httptools parser on its own buffers headers of any size).
- Body: a body not fully received BODY_TIMEOUT_SECONDS after the route first
  asks for it gets 408 (a client announcing 1,000 bytes and sending none no
  longer holds a connection indefinitely).
- A client that leaves before sending its whole body is logged at INFO, not as
  an unhandled error.
- A long response cut short on purpose (service/api/streams.py logs it with
  what it was) is not logged again by uvicorn as an unhandled exception.
"""

import asyncio
import logging
from typing import Any

import httptools
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

_HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\nconnection: close\r\n"
)
_HEADERS_TOO_LARGE_BODY = b'{"error":"The request line and headers are too large"}'


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a limit on the bytes of a request's line and headers."""

    max_header_bytes = 65_536

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._in_headers = True

    def data_received(self, data: bytes) -> None:
        if not self._in_headers or self._header_bytes + len(data) <= self.max_header_bytes:
            if self._in_headers:
                self._header_bytes += len(data)
            super().data_received(data)
            return
        # This piece may end the headers and carry the start of the body (a large body
        # sent with its headers): parse only what the limit allows, and refuse only if
        # the headers are still not over by then.
        allowed = self.max_header_bytes - self._header_bytes
        head, rest = data[:allowed], data[allowed:]
        self._header_bytes += len(head)
        super().data_received(head)
        if self._in_headers and self._header_bytes >= self.max_header_bytes:
            self._refuse_headers()
            return
        if rest:
            self.data_received(rest)

    def _refuse_headers(self) -> None:
        log.info("request headers over %d bytes from %s refused (431)", self.max_header_bytes, self.client)
        self.transport.write(
            _HEADERS_TOO_LARGE
            + b"content-length: "
            + str(len(_HEADERS_TOO_LARGE_BODY)).encode()
            + b"\r\n\r\n"
            + _HEADERS_TOO_LARGE_BODY
        )
        self.transport.close()
        self.parser = httptools.HttpRequestParser(self)  # drop what was buffered
        self._in_headers = False

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_headers, self._header_bytes = True, 0


class RequestTimeout(HTTPException):
    status_code = HTTP_408_REQUEST_TIMEOUT

    def __init__(self) -> None:
        super().__init__(detail="The request body did not arrive in time", headers={"Connection": "close"})


class ClientLeft(HTTPException):
    """The client disconnected before sending its whole body: nobody will read the answer."""

    status_code = 499

    def __init__(self) -> None:
        super().__init__(detail="The client closed the connection", headers={"Connection": "close"})


class BodyTimeoutMiddleware:
    """Bounds the time a request's body may take to arrive, and tells a client that left from an error."""

    def __init__(self, app: ASGIApp, timeout_seconds: float) -> None:
        self.app = app
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        request = f"{scope.get('method')} {scope['path']}"
        deadline: float | None = None
        complete = False
        responding = False

        async def note_response(message: Message) -> None:
            nonlocal responding
            responding = True
            await send(message)

        async def receive_in_time() -> ReceiveMessage:
            nonlocal deadline, complete
            # Once the body is in, or the answer has begun (a stream waiting for its client to
            # leave may be the first to read), what follows is the wait for a disconnect, of any length.
            if complete or responding:
                return await receive()
            if deadline is None:
                deadline = loop.time() + self.timeout_seconds
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                log.info("%s: request body not received within %.0f s (408)", request, self.timeout_seconds)
                raise RequestTimeout from None
            if message["type"] == "http.disconnect":
                complete = True
                log.info("%s: client left before sending its body", request)
                raise ClientLeft
            if not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, receive_in_time, note_response)


def _is_stream_cut(exc: BaseException | None) -> bool:
    """Whether `exc` is, wraps or was caused by a StreamCutError (Litestar and anyio wrap it)."""
    from service.api.streams import StreamCutError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StreamCutError):
            return True
        if isinstance(exc, BaseExceptionGroup) and any(_is_stream_cut(inner) for inner in exc.exceptions):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class StreamCutFilter(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" for a stream we cut on purpose (already logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and _is_stream_cut(record.exc_info[1]))


def quiet_cut_streams() -> None:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, StreamCutFilter) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(StreamCutFilter())
