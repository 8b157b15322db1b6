"""The per-route HTTP metrics (service/request_metrics.py): Litestar's families and labels, counted right."""

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.exceptions import ValidationException
from litestar.params import FromPath
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from service.request_metrics import APP_NAME, RequestMetrics


def sample(name: str, path: str, status: int = 200, method: str = "GET") -> float:
    labels = {"method": method, "path": path, "status_code": str(status), "app_name": APP_NAME}
    return REGISTRY.get_sample_value(name, labels) or 0.0


OK = "/request-metrics/ok/{item}"
BOOM = "/request-metrics/boom"
SKIPPED = "/request-metrics/skipped"
REFUSED = "/request-metrics/refused"


@get("/request-metrics/ok/{item:int}", sync_to_thread=False)
def ok(item: FromPath[int]) -> dict[str, float]:
    # What the gauge says while this request runs.
    return {"in_progress": sample("http_requests_in_progress", OK)}


@get(BOOM, sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("the handler failed")


@get(REFUSED, sync_to_thread=False)
def refused() -> None:
    raise ValidationException("bad input")


@get(SKIPPED, sync_to_thread=False)
def skipped() -> str:
    return "not counted"


@pytest.fixture
def client() -> Iterator[TestClient[Any]]:
    app = Litestar(
        route_handlers=[ok, boom, refused, skipped],
        middleware=[lambda app: RequestMetrics(app, excluded_paths={SKIPPED})],
        logging_config=None,
    )
    with TestClient(app=app) as client:
        yield client


def test_requests_are_counted_and_timed_by_route_template_and_status(client: TestClient[Any]) -> None:
    before = sample("http_requests_total", OK), sample("http_request_duration_seconds_count", OK)
    answers = [client.get(f"/request-metrics/ok/{item}") for item in (1, 2, 3)]
    assert [answer.json() for answer in answers] == [{"in_progress": 1.0}] * 3, "the gauge counts the running request"
    after = sample("http_requests_total", OK), sample("http_request_duration_seconds_count", OK)
    assert (after[0] - before[0], after[1] - before[1]) == (3, 3)
    assert sample("http_requests_in_progress", OK) == 0, "and drops when it ends"
    assert sample("http_request_duration_seconds_sum", OK) > 0


def test_a_server_error_counts_as_a_request_and_an_error(client: TestClient[Any]) -> None:
    before = sample("http_requests_total", BOOM, 500), sample("http_requests_error_total", BOOM, 500)
    assert client.get(BOOM).status_code == 500
    after = sample("http_requests_total", BOOM, 500), sample("http_requests_error_total", BOOM, 500)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    assert sample("http_requests_in_progress", BOOM) == 0


def test_a_client_error_is_no_server_error_and_excluded_paths_are_not_counted(client: TestClient[Any]) -> None:
    before = sample("http_requests_total", REFUSED, 400)
    assert client.get(REFUSED).status_code == 400
    assert sample("http_requests_total", REFUSED, 400) - before == 1
    assert sample("http_requests_error_total", REFUSED, 400) == 0
    assert client.get(SKIPPED).status_code == 200
    assert sample("http_requests_total", SKIPPED) == 0
    assert sample("http_request_duration_seconds_count", SKIPPED) == 0


def test_the_families_and_labels_are_those_of_litestars_prometheus_plugin(client: TestClient[Any]) -> None:
    client.get("/request-metrics/ok/1")
    families = {metric.name: metric for metric in REGISTRY.collect()}
    expected = {
        "http_requests": "counter",
        "http_request_duration_seconds": "histogram",
        "http_requests_in_progress": "gauge",
        "http_requests_error": "counter",
    }
    assert {name: families[name].type for name in expected} == expected
    for name in expected:
        for found in families[name].samples:
            assert {"method", "path", "status_code", "app_name"} <= set(found.labels), found
