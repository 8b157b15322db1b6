"""Command line: serve (default), worker, migrate, token."""

import argparse
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn
import uvloop

from service.auth import TokenVerifier, resolve_jwt_secret
from service.logging_setup import configure_logging
from service.metrics import metrics_shared_by
from service.migrations import MigrationError
from service.settings import MAX_WORKER_CONCURRENCY, Settings, SettingsError, load_settings

log = logging.getLogger("service")


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The DSN to use: DATABASE_URL as is, or the embedded server for the data directory."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    from service.embedded import embedded_database

    with embedded_database(settings.data_dir) as dsn:
        log.info("embedded PostgreSQL running in %s", settings.data_dir)
        yield dsn


def exit_on_termination() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into SystemExit, so that cleanup code runs.

    uvicorn handles these signals itself and re-raises them once it has shut
    down; with the default handlers the process would then die on the spot
    (SIGTERM, SIGHUP) and leave the embedded PostgreSQL running, or print a
    KeyboardInterrupt traceback (SIGINT).
    """

    def leave(signum: int, _: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


def serve(settings: Settings) -> None:
    from service.auth import resolve_jwt_secret
    from service.migrations import apply_pending

    exit_on_termination()
    with database(settings) as dsn, metrics_shared_by(settings.api_processes):
        apply_pending(dsn)
        options: dict[str, Any] = {
            "host": settings.host,
            "port": settings.port,
            "log_config": None,
            # The app writes the access line itself (service.logs.RequestIds), with the request id.
            "access_log": False,
            "loop": "uvloop",
            # httptools, with a bound on request headers (431); set per process by create_app.
            "http": "service.http_limits:BoundedHttpToolsProtocol",
            "lifespan": "on",
            # Event streams stay open until their job ends; do not let them hold up a shutdown.
            "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        }
        if settings.api_processes > 1:
            # Each process builds its own app (and pool) from the environment; hand
            # down the database and the secret this process resolved.
            os.environ["DATABASE_URL"] = dsn
            secret = resolve_jwt_secret(settings)
            if secret:
                os.environ["AUTH_JWT_SECRET"] = secret
            uvicorn.run("service.app:app_from_environment", factory=True, workers=settings.api_processes, **options)
        else:
            from service.app import create_app

            # Returns after SIGINT/SIGTERM once in-flight requests are done; the
            # embedded database is then stopped on leaving `database`.
            uvicorn.Server(uvicorn.Config(create_app(settings, dsn), **options)).run()


def work(settings: Settings, concurrency: int | None) -> None:
    """Background processing only: runs until SIGINT or SIGTERM, finishing the step in progress."""
    from service.worker.runner import run_worker_process

    with database(settings) as dsn:
        uvloop.run(run_worker_process(settings, dsn, concurrency))


def migrate(settings: Settings, rollback: int | None) -> None:
    from service.migrations import apply_pending
    from service.migrations import rollback as rollback_migrations

    with database(settings) as dsn:
        if rollback is None:
            applied = apply_pending(dsn)
            print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
        else:
            undone = rollback_migrations(dsn, rollback)
            print(f"rolled back {len(undone)} migration(s): {', '.join(undone) or 'none applied'}")


def token(settings: Settings, user_id: str, admin: bool, email: str | None) -> None:
    verifier = TokenVerifier(
        secret=resolve_jwt_secret(settings), issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    print(verifier.issue(user_id, admin=admin, email=email, ttl_seconds=settings.auth_token_ttl_seconds))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python main.py", description="Influencer platform backend.")
    commands = root.add_subparsers(dest="command")
    commands.add_parser("serve", help="migrate, then serve the API with a worker (the default)")
    worker_cmd = commands.add_parser("worker", help="run background processing only (as many as needed)")
    worker_cmd.add_argument(
        "--concurrency", type=int, metavar="N", help="jobs advanced at the same time (default WORKER_CONCURRENCY)"
    )
    migrate_cmd = commands.add_parser("migrate", help="apply pending migrations, or roll back")
    migrate_cmd.add_argument("--rollback", type=int, metavar="N", help="roll back the N most recent migrations")
    token_cmd = commands.add_parser("token", help="print a bearer token signed with the configured secret")
    token_cmd.add_argument("user_id", metavar="USER_ID")
    token_cmd.add_argument("--admin", action="store_true", help="give the token the admin role")
    token_cmd.add_argument("--email", help="put this address in the token's email claim")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        if args.command == "migrate":
            migrate(settings, args.rollback)
        elif args.command == "worker":
            if args.concurrency is not None and not 1 <= args.concurrency <= MAX_WORKER_CONCURRENCY:
                print(f"error: --concurrency must be between 1 and {MAX_WORKER_CONCURRENCY}", file=sys.stderr)
                return 2
            work(settings, args.concurrency)
        elif args.command == "token":
            token(settings, args.user_id, args.admin, args.email)
        else:
            serve(settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MigrationError as exc:
        print(f"migration problem: {exc}", file=sys.stderr)
        return 1
    return 0
