"""The Litestar application: routes, auth, errors, metrics; the pool and the in-process worker."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusController

from service.allow_header import complete_allow_header
from service.api.admin import AdminController
from service.api.campaign_creators import CampaignCreatorController, campaign_creators_csv
from service.api.campaigns import CampaignController
from service.api.export import export_csv
from service.api.jobs import JobController
from service.api.onboarding import OnboardingController, get_profile
from service.api.operations import health, ready
from service.api.proxy import proxy_image
from service.api.scraping import ScrapingController
from service.api.streams import export_reads
from service.auth import BearerTokenMiddleware, TokenVerifier
from service.database import configure_query_timing, create_pool, warn_if_over_max_connections
from service.errors import EXCEPTION_HANDLERS
from service.http_limits import BodyTimeoutMiddleware, BoundedHttpToolsProtocol, quiet_cut_streams
from service.image_proxy import ImageProxy
from service.job_feed import JobFeed
from service.logs import RequestIds
from service.migrations import migration_ids
from service.notifications import JOB_PROGRESS_CHANNEL, NEW_JOB_CHANNEL, Listener
from service.openapi import COOKIE_SCHEME, openapi_config, swagger_assets_router
from service.openapi_document import BEARER_SCHEME, DocumentedStructs
from service.origins import parse_allowed_origins
from service.request_metrics import RequestMetrics
from service.settings import Settings
from service.stream_limits import PerUserSlots
from service.strict_input import refuse_unusable_input
from service.system_config import SystemConfig
from service.worker.runner import Worker

# Routes reachable without a token (anchored: they are matched anywhere in the path).
PUBLIC_PATHS = ["^/health$", "^/ready$", "^/metrics$", "^/schema"]


class TokenlessMetrics(PrometheusController):
    path = "/metrics"
    include_in_schema = False


def create_app(
    settings: Settings, dsn: str, verifier: TokenVerifier | None = None, image_proxy: ImageProxy | None = None
) -> Litestar:
    """The application for one process; the pool opens and closes with its lifespan."""
    configure_query_timing(settings)
    quiet_cut_streams()
    BoundedHttpToolsProtocol.max_header_bytes = settings.max_header_bytes
    verifier = verifier or TokenVerifier.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await verifier.refresh_jwks()
        proxy = app.state.image_proxy = image_proxy or ImageProxy.from_settings(settings)
        pool = app.state.pool = await create_pool(dsn, settings)
        await warn_if_over_max_connections(pool, settings)
        config = app.state.config = SystemConfig(pool, acquire_timeout=settings.db_acquire_timeout_seconds)
        listener = app.state.listener = Listener(
            settings.listen_database_url or dsn, settings, [JOB_PROGRESS_CHANNEL, NEW_JOB_CHANNEL]
        )
        app.state.job_feed = JobFeed(pool, listener, settings.db_acquire_timeout_seconds)
        stop = asyncio.Event()
        background = [asyncio.create_task(listener.run(stop))]
        if settings.run_worker:
            worker = Worker(pool, config, settings, listener=listener)
            background.append(asyncio.create_task(worker.run(stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background)  # the worker finishes its step in progress first
            await pool.close()
            await proxy.close()

    api = Router(
        path="/",
        route_handlers=[
            CampaignController,
            CampaignCreatorController,
            campaign_creators_csv,
            ScrapingController,
            JobController,
            OnboardingController,
            get_profile,
            AdminController,
            export_csv,
            proxy_image,
        ],
        security=[{BEARER_SCHEME: []}, {COOKIE_SCHEME: []}],
    )
    app = Litestar(
        route_handlers=[api, health, ready, TokenlessMetrics, swagger_assets_router()],
        lifespan=[lifespan],
        middleware=[
            RequestMetrics,
            DefineMiddleware(BodyTimeoutMiddleware, timeout_seconds=settings.body_timeout_seconds),
            DefineMiddleware(
                BearerTokenMiddleware,
                verifier=verifier,
                exclude=PUBLIC_PATHS,
                allowed_origins=parse_allowed_origins(settings.allowed_origins),
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[complete_allow_header],
        before_request=refuse_unusable_input,
        openapi_config=openapi_config(version("influencer-service")),
        plugins=[DocumentedStructs()],
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
        state=State(
            {
                "acquire_timeout": settings.db_acquire_timeout_seconds,
                "expected_migrations": migration_ids(),
                "export_slots": PerUserSlots(settings.exports_per_user, "CSV exports"),
                "export_reads": export_reads(settings.db_pool_max_size),
                "event_stream_slots": PerUserSlots(settings.event_streams_per_user, "event streams"),
            }
        ),
    )
    # Around the whole application, so that even a request no route matches has an id and an access line.
    app.asgi_handler = RequestIds(app.asgi_handler, access_log=settings.access_log)
    return app


def app_from_environment() -> Litestar:
    """The app of one of several API processes (API_PROCESSES > 1): settings from the environment."""
    from service.logging_setup import configure_logging
    from service.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    if settings.database_url is None:
        raise RuntimeError("API processes need DATABASE_URL (python main.py sets it for them)")
    return create_app(settings, settings.database_url)
