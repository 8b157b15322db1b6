"""Local stub servers that answer as the providers document (tests/provider_docs, see SOURCES.md)."""

import contextlib
import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DOCS = Path(__file__).parent / "provider_docs"
Answer = tuple[int, bytes, dict[str, str]]


class Stub:
    """Records each request; `script` queues answers that come before the routed ones."""

    def __init__(self, route: Callable[[str, dict[str, str], dict[str, str]], Answer]) -> None:
        self.route = route
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.script: list[Answer] = []
        self.url = ""

    def reset(self) -> "Stub":
        """Forget the requests and the scripted answers (a module-wide stub, between tests)."""
        self.requests.clear()
        self.script.clear()
        return self

    def calls_to(self, path: str) -> list[dict[str, str]]:
        return [query for p, query, _ in self.requests if p == path]


@contextlib.contextmanager
def serve(stub: Stub) -> Iterator[Stub]:
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                stub.requests.append((parts.path, query, headers))
                scripted = stub.script.pop(0) if stub.script else None
            status, body, extra = scripted or stub.route(parts.path, query, headers)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


def doc(relative: str) -> bytes:
    return (DOCS / relative).read_bytes()


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text.lower()).strip("_")


SCRAPECREATORS_KEY = "sc-test-key"
NOT_FOUND: Answer = (404, doc("scrapecreators/errors/404.json"), {})


# Endpoint -> the fixture that answers a request to it (named by the parameters that select a page or a user).
SCRAPECREATORS_FIXTURES: dict[str, Callable[[dict[str, str]], str]] = {
    "/v1/tiktok/search/keyword": lambda q: f"tiktok_search_keyword/{_slug(q['query'])}_{q.get('cursor', '0')}",
    "/v1/tiktok/search/users": lambda q: f"tiktok_search_users/{_slug(q['query'])}_{q.get('cursor', '0')}",
    "/v1/tiktok/profile": lambda q: f"tiktok_profile/{q['handle']}",
    "/v2/instagram/reels/search": lambda q: f"instagram_reels_search/{_slug(q['query'])}_{q.get('page', '1')}",
    "/v1/instagram/profile": lambda q: f"instagram_profile/{q['handle']}",
    "/v1/instagram/basic-profile": lambda q: f"instagram_basic_profile/{q['userId']}",
    "/v1/youtube/search": lambda q: f"youtube_search/{_slug(q['query'])}_{q.get('continuationToken', 'first')}",
    "/v1/youtube/channel": lambda q: f"youtube_channel/{q.get('channelId') or q['handle']}",
}


def scrapecreators_route(path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
    """The documented answer for a request: the fixture named by endpoint and parameters, else 404."""
    if headers.get("x-api-key") != SCRAPECREATORS_KEY:
        return 401, doc("scrapecreators/errors/401.json"), {}
    name = SCRAPECREATORS_FIXTURES.get(path)
    try:
        fixture = DOCS / "scrapecreators" / f"{name(query)}.json" if name else None
    except KeyError:
        return 400, doc("scrapecreators/errors/400.json"), {}
    return (200, fixture.read_bytes(), {}) if fixture and fixture.exists() else NOT_FOUND


@contextlib.contextmanager
def scrapecreators_stub() -> Iterator[Stub]:
    with serve(Stub(scrapecreators_route)) as stub:
        yield stub


CLERK_SECRET = "sk_test_stub_secret"
# Users the stub knows, by the prefix of their id: a user with addresses, a user without any.
CLERK_USERS = {"user_withmail": "clerk/user_with_email.json", "user_nomail": "clerk/user_without_email.json"}


def clerk_route(path: str, query: dict[str, str], headers: dict[str, str]) -> Answer:
    """GET /v1/users/{user_id} as Clerk's Backend API documents it (Bearer secret key)."""
    if headers.get("authorization") != f"Bearer {CLERK_SECRET}":
        return 401, doc("clerk/error_401.json"), {}
    match = re.fullmatch(r"/v1/users/([\w-]+)", path)
    user_id = match.group(1) if match else ""
    fixture = next((f for prefix, f in CLERK_USERS.items() if user_id.startswith(prefix)), None)
    if fixture is None:
        return 404, doc("clerk/error_404.json"), {}
    return 200, doc(fixture), {}


@contextlib.contextmanager
def clerk_stub() -> Iterator[Stub]:
    with serve(Stub(clerk_route)) as stub:
        yield stub


def json_of(answer: Answer) -> Any:
    return json.loads(answer[1])


class ManualClock:
    """A monotonic clock that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
