"""The queue under load: fair order, per-user and per-provider caps, 429s, budgets and progress."""

import http.server
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.database import create_pool
from service.providers.base import Page, ProviderError, SearchSpec
from service.providers.scrapecreators import ScrapeCreatorsProvider
from service.providers.simulated import SimulatedProvider, total_results
from service.settings import Settings
from service.worker.jobs import UNEXPECTED_FAILURE
from tests.factories import fixtures
from tests.processes import child_env, main_py
from tests.stubs import NOT_FOUND, SCRAPECREATORS_KEY, doc
from tests.test_worker import (
    KEYWORDS,
    claim_step,
    finished,
    internals,
    new_job,
    pages_of,
    running_worker,
    set_config,
    wait_for,
)

# A documented TikTok keyword page of two creators (with a cursor: the stub answers it for every page).
SEARCH_PAGE = doc("scrapecreators/tiktok_search_keyword/fashion_0.json")
SEARCH_PATH = "/v1/tiktok/search/keyword"


@pytest.fixture(scope="module")
def db(worker_db: asyncpg.Pool) -> asyncpg.Pool:
    return worker_db


@pytest.fixture(autouse=True)
async def no_leftover_jobs(db: asyncpg.Pool) -> AsyncIterator[None]:
    """Every unfinished job is work for the next test's worker: end them after each test."""
    yield
    async with db.acquire() as conn:
        await fixtures.cancel_unfinished_jobs(conn)


async def jobs_of_a_user(pool: asyncpg.Pool, count: int, *, target: int = 60) -> tuple[str, list[str]]:
    user_id = f"user_{uuid.uuid4().hex}"
    jobs = [await new_job(pool, user_id=user_id, target=target, keywords=[f"{user_id} {i}"]) for i in range(count)]
    return user_id, jobs


def owner_of(spec: SearchSpec) -> str:
    """The user a job of jobs_of_a_user belongs to, from its keywords."""
    return (spec.keywords or [""])[0].split(" ")[0]


# The claim, query by query: the order and the caps it applies.


async def test_the_user_waiting_longest_goes_first(db: asyncpg.Pool) -> None:
    _, (a1, a2, a3) = await jobs_of_a_user(db, 3)
    _, (b1,) = await jobs_of_a_user(db, 1)
    claimed = [await claim_step(db, f"slot-{n}") for n in range(4)]
    # Nobody served yet: the oldest job; then B, never served; then A's jobs,
    # longest waiting first (B's only job is held).
    assert claimed == [a1, b1, a2, a3]


async def test_a_slot_hands_its_job_over_at_its_next_claim(db: asyncpg.Pool) -> None:
    _, (a1, a2) = await jobs_of_a_user(db, 2)
    assert await claim_step(db, "slot-1") == a1
    # a2 has waited since its creation, a1 only since its claim: a2 goes next, a1 is released.
    assert await claim_step(db, "slot-1", held_job_id=a1) == a2
    assert (await internals(db, a1))["locked_by"] is None
    # Alone, a slot takes its own job again without ever letting it go.
    async with db.acquire() as conn:
        await fixtures.cancel_unfinished_jobs(conn)
    c1 = await new_job(db)
    assert await claim_step(db, "slot-2") == c1
    assert await claim_step(db, "slot-2", held_job_id=c1) == c1


async def test_the_per_user_cap(db: asyncpg.Pool) -> None:
    _, a_jobs = await jobs_of_a_user(db, 3)
    taken = [await claim_step(db, f"slot-{n}", max_jobs_per_user=2) for n in range(3)]
    assert taken == [*a_jobs[:2], None], "a third job of the same user while two are held"
    _, (b1,) = await jobs_of_a_user(db, 1)
    assert await claim_step(db, "slot-2", max_jobs_per_user=2) == b1


async def test_the_cap_on_calls_in_flight(db: asyncpg.Pool) -> None:
    await jobs_of_a_user(db, 1)
    await jobs_of_a_user(db, 1)
    assert await claim_step(db, "slot-1", max_calls_in_flight=1) is not None
    assert await claim_step(db, "slot-2", max_calls_in_flight=1) is None
    assert await claim_step(db, "slot-2", max_calls_in_flight=2) is not None


# The worker: fair order and the per-user cap as calls happen.


class Recording(SimulatedProvider):
    """Notes the user of each call as it starts, and how many calls of each user run at once."""

    def __init__(self, latency_seconds: float) -> None:
        super().__init__(latency_seconds=latency_seconds)
        self.calls: list[str] = []
        self.running: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.on_call: Any = None

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        user = owner_of(spec)
        self.calls.append(user)
        self.running[user] = self.running.get(user, 0) + 1
        self.most_at_once[user] = max(self.most_at_once.get(user, 0), self.running[user])
        try:
            if self.on_call is not None:
                await self.on_call(len(self.calls) - 1)
            return await super().search(spec, cursor)
        finally:
            self.running[user] -= 1


async def test_many_jobs_of_one_user_delay_anothers_first_step_by_at_most_one_step_per_slot(
    db: asyncpg.Pool, worker_settings: Settings
) -> None:
    slots = 2
    heavy, heavy_jobs = await jobs_of_a_user(db, 6)
    provider = Recording(latency_seconds=0.03)
    light: dict[str, Any] = {}

    async def start_light_user(call: int) -> None:
        if call == 3:  # the heavy user's fourth call is under way
            light["user"], (light["job"],) = await jobs_of_a_user(db, 1)
            light["created_during_call"] = call

    provider.on_call = start_light_user
    async with running_worker(db, worker_settings, concurrency=slots, provider=provider):
        for job_id in heavy_jobs:
            await wait_for(db, job_id, finished)
        await wait_for(db, light["job"], finished)
    first_light_call = provider.calls.index(light["user"])
    assert first_light_call - light["created_during_call"] <= slots
    assert provider.calls.count(heavy) == 18  # 6 jobs of 3 pages, nothing asked twice


async def test_the_per_user_cap_holds_while_calls_run(db: asyncpg.Pool, worker_settings: Settings) -> None:
    await set_config(db, "worker", "max_parallel_jobs_per_user", "2", "number")
    try:
        heavy, heavy_jobs = await jobs_of_a_user(db, 4)
        light, light_jobs = await jobs_of_a_user(db, 2)
        provider = Recording(latency_seconds=0.05)
        async with running_worker(db, worker_settings, concurrency=6, provider=provider):
            for job_id in heavy_jobs + light_jobs:
                await wait_for(db, job_id, finished)
    finally:
        await set_config(db, "worker", "max_parallel_jobs_per_user", "8", "number")
    assert provider.most_at_once == {heavy: 2, light: 2}


async def test_many_slots_share_a_small_pool(
    db: asyncpg.Pool, worker_settings: Settings, module_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Slots outnumber connections many times over, and the settings cache starts cold: no slot may
    hold a connection while it waits for another (a claim reading a setting, a failure reading the
    retry policy), which would stall every slot until the pool's acquire timeout."""
    small = msgspec.structs.replace(worker_settings, db_pool_max_size=2)
    small_pool = await create_pool(module_database, small)
    try:
        _, job_ids = await jobs_of_a_user(db, 4, target=40)
        provider = Failing(ProviderError("The provider is having a bad day", retryable=True), failures=8)
        async with running_worker(small_pool, small, concurrency=32, provider=provider):
            for job_id in job_ids:
                job = await wait_for(db, job_id, finished)
                assert (job["status"], job["processedResults"]) == ("completed", 40)
    finally:
        await small_pool.close()
    # A slot that waited for a second connection shows as a settings read that timed out.
    assert not [r.getMessage() for r in caplog.records if "could not read setting" in r.getMessage()]


# Budgets, failures and progress.


class Failing(SimulatedProvider):
    """Raises `error` for the first `failures` calls, then answers like the simulated provider."""

    def __init__(self, error: Exception, failures: int = 1_000_000) -> None:
        super().__init__()
        self.error = error
        self.failures = failures
        self.calls = 0

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return await super().search(spec, cursor)


async def test_retried_calls_are_charged_to_the_budget(db: asyncpg.Pool, worker_settings: Settings) -> None:
    job_id = await new_job(db, target=40)
    provider = Failing(ProviderError("The provider is having a bad day", retryable=True), failures=2)
    async with running_worker(db, worker_settings, provider=provider):
        job = await wait_for(db, job_id, finished)
    assert (job["status"], job["processedResults"], job["processedRuns"], provider.calls) == ("completed", 40, 4, 4)

    await set_config(db, "api_limits", "max_api_calls_tiktok", "3", "number")
    try:
        job_id = await new_job(db, target=100)
        provider = Failing(ProviderError("The provider is having a bad day", retryable=True), failures=2)
        async with running_worker(db, worker_settings, provider=provider):
            job = await wait_for(db, job_id, finished)
    finally:
        await set_config(db, "api_limits", "max_api_calls_tiktok", "1200", "number")
    assert (job["status"], job["processedRuns"], job["processedResults"], job["progress"]) == ("completed", 3, 20, 20)
    assert job["searchParams"] == {"stopReason": "budget_exhausted"}
    assert provider.calls == 3


async def test_an_unexpected_provider_exception_ends_the_job_in_error(
    db: asyncpg.Pool, worker_settings: Settings
) -> None:
    await set_config(db, "worker", "max_step_attempts", "3", "number")
    try:
        job_id = await new_job(db)
        provider = Failing(KeyError("items"))
        async with running_worker(db, worker_settings, provider=provider):
            job = await wait_for(db, job_id, finished)
    finally:
        await set_config(db, "worker", "max_step_attempts", "4", "number")
    assert (job["status"], job["error"], job["processedRuns"], provider.calls) == ("error", UNEXPECTED_FAILURE, 3, 3)
    assert (await internals(db, job_id))["locked_by"] is None


async def test_a_default_search_reaches_its_target(
    db: asyncpg.Pool, worker_settings: Settings, module_database: str
) -> None:
    verifier = TokenVerifier.from_settings(worker_settings)
    headers = {"Authorization": f"Bearer {verifier.issue('user_default_search')}"}
    async with AsyncTestClient(app=create_app(worker_settings, module_database, verifier)) as client:
        body = {"name": "Default", "searchType": "keyword"}
        campaign = await client.post("/api/campaigns", json=body, headers=headers)
        created = await client.post(
            "/api/scraping/tiktok", json={"campaignId": campaign.json()["id"], "keywords": KEYWORDS}, headers=headers
        )
    assert created.status_code == 201, created.text
    assert created.json()["targetResults"] == 1000
    async with running_worker(db, worker_settings, concurrency=4):
        job = await wait_for(db, created.json()["id"], finished, seconds=60)
    assert (job["status"], job["progress"], job["processedResults"]) == ("completed", 100, 1000)
    assert job["processedRuns"] == 50
    assert job["searchParams"] == {"stopReason": "target_reached"}


async def test_a_search_that_runs_out_of_results_shows_what_it_found(
    db: asyncpg.Pool, worker_settings: Settings
) -> None:
    searches = (SearchSpec("TikTok", [f"rare {i}"], None, "US") for i in range(1000))
    spec = next(spec for spec in searches if 100 <= total_results(spec) < 900)
    keywords, found = spec.keywords, total_results(spec)
    job_id = await new_job(db, target=1000, keywords=keywords)
    async with running_worker(db, worker_settings, concurrency=2):
        job = await wait_for(db, job_id, finished)
    assert (job["status"], job["processedResults"]) == ("completed", found)
    assert job["progress"] == round(found / 10, 2) < 100
    assert job["searchParams"] == {"stopReason": "no_more_results"}


# 429 answers.


class RateLimitedOnce(SimulatedProvider):
    def __init__(self, retry_after: float) -> None:
        super().__init__()
        self.retry_after = retry_after
        self.calls = 0

    async def search(self, spec: SearchSpec, cursor: str | None) -> Page:
        self.calls += 1
        if self.calls == 1:
            raise ProviderError("slow down", retryable=True, status=429, retry_after=self.retry_after)
        return await super().search(spec, cursor)


async def test_a_429_waits_as_retry_after_says(db: asyncpg.Pool, worker_settings: Settings) -> None:
    job_id = await new_job(db, target=40)
    provider = RateLimitedOnce(retry_after=30)
    try:
        async with running_worker(db, worker_settings, provider=provider):
            waiting = await wait_for(db, job_id, lambda job: job["processedRuns"] == 1)
            async with db.acquire() as conn:
                until_retry = await fixtures.seconds_until_retry(conn, job_id=job_id)
                paused = await fixtures.seconds_provider_paused(conn, provider=worker_settings.provider)
            assert waiting["status"] == "processing"
            assert (await internals(db, job_id))["attempts"] == 0, "a 429 is not a failed attempt"
            assert 25 < until_retry <= 30
            assert 25 < paused <= 30, "every worker waits before its next call to this provider"
            assert provider.calls == 1
            async with db.acquire() as conn:  # time passes
                await fixtures.let_time_pass(conn, job_id=job_id, provider=worker_settings.provider)
            job = await wait_for(db, job_id, finished)
    finally:
        async with db.acquire() as conn:
            await fixtures.let_time_pass(conn, job_id=job_id, provider=worker_settings.provider)
    assert (job["status"], job["processedResults"], job["processedRuns"], provider.calls) == ("completed", 40, 3, 3)
    assert len(await pages_of(db, job_id)) == 2


# A ScrapeCreators stub that counts what reaches it, for real worker processes.


class Stub:
    """Answers every search with one TikTok page after `latency` seconds, noting each search's start and end.

    A profile lookup (which completes a step's creators, within the step) is answered 404 at once and
    not noted: the provider limits bound steps, the calls that fetch a page.
    """

    def __init__(self) -> None:
        self.latency = 0.0
        self.answer: tuple[int, dict[str, str]] = (200, {})
        self.calls: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def handle(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if path != SEARCH_PATH:
            return NOT_FOUND
        started = time.monotonic()
        time.sleep(self.latency)
        with self._lock:
            self.calls.append((started, time.monotonic()))
        status, headers = self.answer
        return status, SEARCH_PAGE, headers

    def most_at_once(self) -> int:
        events = sorted([(s, 1) for s, _ in self.calls] + [(e, -1) for _, e in self.calls])
        running = most = 0
        for _, change in events:
            running += change
            most = max(most, running)
        return most

    def most_in_one_second(self) -> int:
        starts = sorted(s for s, _ in self.calls)
        return max(sum(1 for t in starts if s <= t < s + 1) for s in starts)


@contextmanager
def stub_server() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = state.handle(self.path.split("?")[0])
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_scrapecreators_429_says_how_long_to_wait() -> None:
    with stub_server() as (stub, url):
        stub.answer = (429, {"Retry-After": "7"})
        provider = ScrapeCreatorsProvider(base_url=url, api_key="k", http_retries=0)
        with pytest.raises(ProviderError) as raised:
            await provider.search(SearchSpec("TikTok", ["fashion"], None, "US"), None)
        await provider.close()
    assert (raised.value.retryable, raised.value.status, raised.value.retry_after) == (True, 429, 7.0)
    assert len(stub.calls) == 1


async def run_two_worker_processes(db: asyncpg.Pool, module_database: str, url: str, jobs: int) -> None:
    """Two `main.py worker` processes (4 slots each) against the stub, until `jobs` jobs of 5 calls are done."""
    env = child_env(
        DATABASE_URL=module_database,
        PROVIDER="scrapecreators",
        SCRAPECREATORS_BASE_URL=url,
        SCRAPECREATORS_API_KEY=SCRAPECREATORS_KEY,
    )
    processes = [main_py("worker", "--concurrency", "4", env=env) for _ in range(2)]
    try:
        job_ids = [(await jobs_of_a_user(db, 1, target=10))[1][0] for _ in range(jobs)]
        for job_id in job_ids:
            job = await wait_for(db, job_id, finished, seconds=60)
            assert (job["status"], job["processedResults"]) == ("completed", 10)  # five pages of two
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""


async def test_provider_limits_hold_across_two_worker_processes(db: asyncpg.Pool, module_database: str) -> None:
    limits = (
        ("provider_limits", "scrapecreators_max_concurrent_calls"),
        (
            "provider_limits",
            "scrapecreators_max_calls_per_second",
        ),
    )
    try:
        with stub_server() as (stub, url):
            # Concurrency: 8 slots could run 8 calls at once; the limit is 3.
            await set_config(db, *limits[0], "3", "number")
            await set_config(db, *limits[1], "1000", "number")
            stub.latency = 0.15
            await run_two_worker_processes(db, module_database, url, jobs=8)
            assert stub.most_at_once() == 3

            # Rate: 8 slots could make hundreds of calls a second; the limit is 10.
            stub.calls.clear()
            stub.latency = 0.01
            await set_config(db, *limits[0], "100", "number")
            await set_config(db, *limits[1], "10", "number")
            await run_two_worker_processes(db, module_database, url, jobs=6)
            starts = sorted(s for s, _ in stub.calls)
            assert len(starts) == 30
            # Claims are at least 0.1 s apart in PostgreSQL; a request reaches the stub some
            # milliseconds after its claim, more on a loaded machine: two more for that jitter.
            assert stub.most_in_one_second() <= 12
            assert (len(starts) - 1) / (starts[-1] - starts[0]) <= 11
    finally:
        await set_config(db, *limits[0], "32", "number")
        await set_config(db, *limits[1], "50", "number")


def test_the_rate_checks_can_fail() -> None:
    stub = Stub()
    stub.calls = [(0.01 * i, 0.01 * i + 0.5) for i in range(30)]
    assert stub.most_in_one_second() == 30
    assert stub.most_at_once() == 30
