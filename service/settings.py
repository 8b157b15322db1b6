"""The service's configuration: environment variables read once into one Struct."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from service.image_hosts import parse_host_patterns
from service.origins import parse_allowed_origins
from service.paths import default_data_dir

# The platforms' image CDNs, as seen in the old system's recorded provider answers.
DEFAULT_IMAGE_HOSTS = ",".join(
    (
        "*.tiktokcdn.com",
        "*.tiktokcdn-us.com",
        "*.tiktokcdn-eu.com",
        "*.cdninstagram.com",
        "*.fbcdn.net",
        "yt3.ggpht.com",
        "yt3.googleusercontent.com",
        "i.ytimg.com",
    )
)

MAX_WORKER_CONCURRENCY = 256

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
DEFAULT_ACQUIRE_TIMEOUT_SECONDS = 5.0


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting, named after its environment variable (lower-cased)."""

    database_url: str | None = None
    # LISTEN/NOTIFY needs a session of its own: behind a transaction-mode pooler
    # (PgBouncer, Supabase's pooler) point this at the database directly.
    listen_database_url: str | None = None
    data_dir: Path = msgspec.field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    log_level: LogLevel = "INFO"
    # text: readable lines; json: one JSON object a line, for log shippers.
    log_format: Literal["text", "json"] = "text"
    access_log: bool = True
    # On SIGTERM, requests still open after this long (event streams) are closed.
    shutdown_grace_seconds: Annotated[int, msgspec.Meta(ge=0)] = 10

    auth_jwt_secret: str | None = None
    auth_jwks_url: str | None = None
    auth_jwks_file: Path | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_token_ttl_seconds: Annotated[int, msgspec.Meta(ge=60)] = 86_400
    # Comma-separated origins (https://app.example.com) whose pages may send
    # state-changing requests authenticated by the `__session` cookie.
    allowed_origins: str = ""

    # The avatar proxy (GET /api/proxy/image): comma-separated image hosts it
    # fetches from ("*.example.com": any subdomain), and its limits.
    image_proxy_hosts: str = DEFAULT_IMAGE_HOSTS
    image_proxy_max_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 5_000_000
    image_proxy_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    image_proxy_cache_bytes: Annotated[int, msgspec.Meta(ge=0)] = 64_000_000
    image_proxy_cache_seconds: Annotated[float, msgspec.Meta(ge=0)] = 3600.0
    image_proxy_requests_per_minute: Annotated[int, msgspec.Meta(ge=1)] = 600
    # TESTS ONLY: one http origin (http://127.0.0.1:PORT) the proxy may fetch
    # from although it is plain http on a loopback address. Never set it in production.
    image_proxy_test_origin: str | None = None

    db_pool_min_size: Annotated[int, msgspec.Meta(ge=0)] = 1
    db_pool_max_size: Annotated[int, msgspec.Meta(ge=1)] = 10
    db_pool_max_idle_seconds: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    # A pooled connection is closed at its first release after this long (poolers and failovers expect it).
    db_pool_max_lifetime_seconds: Annotated[float, msgspec.Meta(gt=0)] = 3600.0
    db_acquire_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = DEFAULT_ACQUIRE_TIMEOUT_SECONDS
    db_command_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 15.0
    # 0 turns asyncpg's prepared-statement cache off, as PgBouncer in transaction mode needs.
    db_statement_cache_size: Annotated[int, msgspec.Meta(ge=0)] = 100
    slow_query_ms: Annotated[float, msgspec.Meta(ge=0)] = 250.0

    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 1_000_000
    # A request whose line and headers exceed this gets 431 (read no further).
    max_header_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1_048_576)] = 65_536
    # A request body not fully received this long after the headers gets 408.
    body_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    # Long responses one user may have open at once in one API process (more: 429).
    exports_per_user: Annotated[int, msgspec.Meta(ge=1)] = 3
    event_streams_per_user: Annotated[int, msgspec.Meta(ge=1)] = 20

    # HTTP server processes `python main.py` runs (each with its own pool, and its own
    # worker unless RUN_WORKER is false).
    api_processes: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # `python main.py` also runs a background worker in the API process unless this is false.
    run_worker: bool = True
    # Provider calls one worker process makes at the same time (`python main.py worker
    # --concurrency N`). A slot waiting for the provider holds no database connection.
    worker_concurrency: Annotated[int, msgspec.Meta(ge=1, le=MAX_WORKER_CONCURRENCY)] = 32

    provider: Literal["simulated", "scrapecreators"] = "simulated"
    simulated_latency_ms: Annotated[float, msgspec.Meta(ge=0)] = 300.0
    simulated_failure_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    scrapecreators_base_url: str = "https://api.scrapecreators.com"
    scrapecreators_api_key: str | None = None
    provider_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 20.0

    # The welcome email's address when the sign-in token has no email claim (Clerk's default).
    clerk_secret_key: str | None = None
    clerk_api_url: str = "https://api.clerk.com"
    clerk_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 10.0

    email_backend: Literal["log", "smtp"] = "log"
    email_from: str = "Influencer Platform <no-reply@localhost>"
    dashboard_url: str = "http://localhost:3000/"
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 587
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: Annotated[float, msgspec.Meta(gt=0)] = 15.0

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


class SettingsError(Exception):
    """The environment holds a value the service cannot run with."""


def _decode_path(kind: type, value: object) -> Path:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"cannot read {kind.__name__} from the environment")


# Settings whose words are accepted in any case (LOG_LEVEL=warning, as many tools write it).
_ANY_CASE = {"log_level": str.upper, "log_format": str.lower}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment; empty variables count as unset."""
    env = os.environ if environ is None else environ
    fields = {f.lower() for f in Settings.__struct_fields__}
    raw = {key.lower(): value for key, value in env.items() if key.lower() in fields and value != ""}
    for name, normalise in _ANY_CASE.items():
        if name in raw:
            raw[name] = normalise(raw[name])
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_decode_path)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid configuration: {exc} (environment variables are upper-case)") from exc
    try:
        parse_allowed_origins(settings.allowed_origins)
        parse_host_patterns(settings.image_proxy_hosts)
    except ValueError as exc:
        raise SettingsError(f"invalid configuration: {exc}") from exc
    return settings
