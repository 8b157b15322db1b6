"""A local image server for the image proxy's tests: images, redirects, and every bad answer.

It speaks plain http on 127.0.0.1, which the proxy refuses in production; the
tests allow exactly its origin through IMAGE_PROXY_TEST_ORIGIN.
"""

import http.server
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MAX_BYTES = 4096  # the cap the tests give the proxy
TIMEOUT = 0.5  # the deadline the tests give the proxy


class ImageServer(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[Counter[str]] = Counter()

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str | None, **headers: str) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        ImageServer.hits[path] += 1
        if path == "/a.jpg":
            self._send(200, JPEG, "image/jpeg")
        elif path == "/a.png":
            self._send(200, PNG, "image/png; charset=binary")
        elif path == "/big.jpg":
            self._send(200, JPEG[:4] + b"\x00" * MAX_BYTES, "image/jpeg")
        elif path == "/big-unannounced.jpg":  # no Content-Length: the cap must hold while reading
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(JPEG[:4] + b"\x00" * (MAX_BYTES * 4))
            self.close_connection = True
        elif path == "/page.html":
            self._send(200, b"<html><script>alert(1)</script></html>", "text/html")
        elif path == "/disguised.jpg":
            self._send(200, b"<html><script>alert(1)</script></html>", "image/jpeg")
        elif path == "/drawing.svg":
            self._send(200, b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml")
        elif path == "/untyped.jpg":
            self._send(200, JPEG, None)
        elif path == "/slow.jpg":
            assert isinstance(self.server, QuietServer)
            self.server.closing.wait(TIMEOUT * 4)
            self._send(200, JPEG, "image/jpeg")
        elif path == "/to-a":
            self._send(302, b"", None, Location="/a.jpg")
        elif path == "/to-elsewhere":
            self._send(302, b"", None, Location="https://evil.example/a.jpg")
        elif path == "/to-localhost":
            self._send(301, b"", None, Location="https://localhost/a.jpg")
        elif path == "/to-http":
            self._send(307, b"", None, Location="http://images.example/a.jpg")
        elif path == "/loop":
            self._send(302, b"", None, Location="/loop")
        else:
            self._send(404, b"not found", "text/plain")


class QuietServer(http.server.ThreadingHTTPServer):
    """Serves each request in a thread; a client that went away (the proxy gave up) is no error.

    It never prints a traceback: on Python 3.11, formatting one parses source
    with `ast`, whose state is not thread-safe, and that broke a test that
    parsed files at the same moment.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ImageServer)
        self.closing = threading.Event()  # wakes the slow handler when the server stops

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def image_server() -> Iterator[str]:
    """A local image server (plain http on 127.0.0.1) for the duration; yields its origin."""
    server = QuietServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.closing.set()
    server.shutdown()
    server.server_close()
