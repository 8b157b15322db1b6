"""The named queries in sql/: unique names, each documented, each declaring its parameters."""

from pathlib import Path

import aiosql
import pytest

from service.database import queries
from service.paths import SQL_DIR

SQL_FILES = sorted(SQL_DIR.rglob("*.sql"))


def test_query_names_are_unique_across_files() -> None:
    # aiosql.from_path silently lets a later duplicate replace an earlier one.
    names: dict[str, Path] = {}
    for path in SQL_FILES:
        for name in aiosql.from_path(path, "asyncpg").available_queries:
            if name.endswith("_cursor"):
                continue
            assert name not in names, f"{name} is defined in both {names[name]} and {path}"
            names[name] = path
    assert set(names) <= set(queries.available_queries)


@pytest.mark.parametrize("name", [n for n in queries.available_queries if not n.endswith("_cursor")])
def test_every_query_says_what_it_is_for(name: str) -> None:
    assert getattr(queries, name).__doc__.strip(), f"{name} has no comment"
