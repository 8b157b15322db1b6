"""HTTP metrics per route: what Litestar's Prometheus middleware recorded, at a fraction of its cost.

Same families, labels and buckets as `litestar.plugins.prometheus` (so
dashboards and alerts keep working): `<prefix>_requests_total`,
`<prefix>_request_duration_seconds`, `<prefix>_requests_in_progress` and
`<prefix>_requests_error_total`, labelled by method, path template, status
code and app name. Litestar's middleware builds a Request, a label dict and
a wrapped `send` per request and looks each child up again (`labels()`: a
str() per value and a lock) five times; profiled under load it was several
percent of a request's CPU. Here the children of each (method, route,
status) are looked up once and kept, so a request costs a dict lookup, two
gauge steps, a counter step and a histogram observation.

prometheus_client's multiprocess mode (service/metrics.py) still applies:
the children write to the shared files when PROMETHEUS_MULTIPROC_DIR is set.
"""

import time
from collections.abc import Collection

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

APP_NAME = "influencer"
PREFIX = "http"
# Litestar's label order; the in-progress gauge carries status_code too, always "200", as Litestar's did.
LABELS = ("method", "path", "status_code", "app_name")
EXCLUDED_PATHS = frozenset({"/metrics"})  # a scrape does not count itself

REQUESTS = Counter(f"{PREFIX}_requests_total", "Total requests", LABELS)
DURATION = Histogram(f"{PREFIX}_request_duration_seconds", "Request duration, in seconds", LABELS)
IN_PROGRESS = Gauge(
    f"{PREFIX}_requests_in_progress", "Total requests currently in progress", LABELS, multiprocess_mode="livesum"
)
ERRORS = Counter(f"{PREFIX}_requests_error_total", "Total errors in requests", LABELS)


class _Finished:
    """The children one (method, route, status) records into, looked up once."""

    __slots__ = ("count", "duration", "errors")

    def __init__(self, method: str, path: str, status: int) -> None:
        labels = (method, path, str(status), APP_NAME)
        self.count = REQUESTS.labels(*labels)
        self.duration = DURATION.labels(*labels)
        self.errors = ERRORS.labels(*labels) if status >= 500 else None


class RequestMetrics:
    """Litestar middleware (it runs after routing, so the route's path template is known)."""

    def __init__(self, app: ASGIApp, excluded_paths: Collection[str] = EXCLUDED_PATHS) -> None:
        self.app = app
        self.excluded_paths = excluded_paths
        self._in_progress: dict[tuple[str, str], Gauge] = {}
        self._finished: dict[tuple[str, str, int], _Finished] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path_template"]
        if scope["type"] != ScopeType.HTTP or path in self.excluded_paths:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        in_progress = self._in_progress.get((method, path))
        if in_progress is None:
            in_progress = self._in_progress[method, path] = IN_PROGRESS.labels(method, path, "200", APP_NAME)
        status = 200  # what is recorded when the response never starts, as Litestar's middleware did

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        in_progress.inc()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = time.perf_counter() - started
            in_progress.dec()
            finished = self._finished.get((method, path, status))
            if finished is None:
                finished = self._finished[method, path, status] = _Finished(method, path, status)
            finished.count.inc()
            finished.duration.observe(elapsed)
            if finished.errors is not None:
                finished.errors.inc()
