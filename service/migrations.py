"""Schema migrations: yoyo applying the plain-SQL files in migrations/."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from yoyo import get_backend, read_migrations
from yoyo.migrations import topological_sort

from service.database import raw_queries
from service.paths import MIGRATIONS_DIR

log = logging.getLogger(__name__)


def yoyo_url(dsn: str) -> str:
    """The DSN as yoyo wants it (postgresql://, which yoyo opens with psycopg2)."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, not {parts.scheme}://")
    return urlunsplit(parts._replace(scheme="postgresql"))


class MigrationError(Exception):
    """The migrations left the schema in a state the service must not run on."""


def migration_ids() -> list[str]:
    """Ids of every migration the code expects, in the order they apply (0010 comes before 0001)."""
    return [m.id for m in topological_sort(read_migrations(str(MIGRATIONS_DIR)))]


@contextmanager
def _locked(dsn: str, directory: Path) -> Iterator[tuple[Any, Any]]:
    """yoyo's backend holding its lock, and the migrations on disk."""
    backend = get_backend(yoyo_url(dsn))
    try:
        with backend.lock():
            yield backend, read_migrations(str(directory))
    finally:
        backend.connection.close()


def _invalid_indexes(backend: Any) -> list[str]:
    cursor = backend.connection.cursor()
    cursor.execute(raw_queries.list_invalid_indexes.sql)
    return [row[0] for row in cursor.fetchall()]


# Converts the old system's database in place (see its header and the README).
ADOPTION_MIGRATION = "0010_adopt_old_schema"


def _adoption_summary(backend: Any) -> tuple[str, str] | None:
    """What adoption quarantined and normalised (JSON text), if it adopted anything."""
    cursor = backend.connection.cursor()
    cursor.execute(raw_queries.get_adoption_summary.sql)
    row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def apply_pending(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; return the ids applied.

    A failing migration raises (a transactional one leaves nothing behind). An
    index left INVALID by a failed concurrent build raises MigrationError even
    when yoyo counted its migration as applied (as `IF NOT EXISTS` would).
    """
    with _locked(dsn, directory) as (backend, migrations):
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
        invalid = _invalid_indexes(backend)
        adopted = _adoption_summary(backend) if ADOPTION_MIGRATION in {m.id for m in pending} else None
    applied = [m.id for m in pending]
    for migration_id in applied:
        log.info("applied migration %s", migration_id)
    if adopted:
        log.warning("adopted the old system's database: quarantined %s; normalised %s", *adopted)
    if invalid:
        raise MigrationError(
            f"invalid indexes (a concurrent build failed): {', '.join(invalid)}; "
            "drop them (DROP INDEX CONCURRENTLY) and migrate again"
        )
    return applied


def rollback(dsn: str, count: int) -> list[str]:
    """Roll back the `count` most recently applied migrations; return their ids."""
    if count < 1:
        raise ValueError("the number of migrations to roll back must be at least 1")
    with _locked(dsn, MIGRATIONS_DIR) as (backend, migrations):
        chosen = backend.to_rollback(migrations)[:count]
        backend.rollback_migrations(chosen)
    rolled_back = [m.id for m in chosen]
    for migration_id in rolled_back:
        log.info("rolled back migration %s", migration_id)
    return rolled_back
