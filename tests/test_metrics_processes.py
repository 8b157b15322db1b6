"""/metrics with API_PROCESSES=2: one scrape reports the sum over both processes."""

import asyncio
import json
from pathlib import Path

import httpx
import psutil
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import MULTIPROCESS_DIR_VARIABLE
from tests.conftest import SECRET
from tests.processes import child_env, running_service

BATCH = 20


async def health_requests(url: str, count: int) -> None:
    """`count` requests at once, each on a new connection, so that both processes accept some."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        responses = await asyncio.gather(*(client.get("/health") for _ in range(count)))
    assert {r.status_code for r in responses} == {200}


def health_count(exposition: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels.get("path") == "/health":
                return sample.value
    return 0.0


def health_counts_by_process(directory: Path) -> dict[str, float]:
    """What each process has recorded itself: its own counter file in the shared directory."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = path.stem.removeprefix("counter_")
        for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path)):  # type: ignore[no-untyped-call]
            metric, _, labels, _ = json.loads(key)
            if metric == "http_requests" and labels.get("path") == "/health":
                counts[pid] = counts.get(pid, 0.0) + value
    return counts


def test_one_scrape_sums_the_requests_of_every_api_process(dsn: str) -> None:
    env = child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, API_PROCESSES="2", RUN_WORKER="false")
    env.pop(MULTIPROCESS_DIR_VARIABLE, None)
    with running_service(env) as (url, process):
        api_processes = psutil.Process(process.pid).children(recursive=True)
        directories = {p.environ().get(MULTIPROCESS_DIR_VARIABLE) for p in api_processes if "python" in p.name()}
        directories.discard(None)
        assert len(directories) == 1, "python main.py gives its API processes one metrics directory"
        directory = Path(str(directories.pop()))

        sent = 0
        while len(health_counts_by_process(directory)) < 2:
            assert sent < 20 * BATCH, "the requests never reached the second process"
            asyncio.run(health_requests(url, BATCH))
            sent += BATCH
        per_process = health_counts_by_process(directory)
        assert sum(per_process.values()) == sent
        assert all(count < sent for count in per_process.values()), "both processes answered some"

        # A new connection for each scrape: it may reach either process.
        scrapes = [httpx.get(f"{url}/metrics").text for _ in range(6)]
        assert [health_count(scrape) for scrape in scrapes] == [sent] * 6, "whichever process answers"
    assert not directory.exists(), "the metrics directory goes when the service stops"
