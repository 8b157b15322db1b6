"""Generate service/query_types.py: the types of every named query in sql/, as PostgreSQL sees them.

    python -m service.query_typegen          # rewrite the file
    python -m service.query_typegen --check  # exit 1 when the file and sql/ disagree

It migrates a throw-away embedded database, prepares each query there, and
reads the types PostgreSQL infers for its parameters and result columns. What
PostgreSQL cannot say is read from the SQL itself:

- a parameter may be NULL when the query tests it (`:x IS NULL`, `:x::type IS
  NULL`, `coalesce(:x, ...)`) or when a `-- nullable: a, b` line under the
  query's name lists it;
- a result column is typed `X | None` unless a `-- not null` line (every
  column) or `-- not null: a, b` line (those columns) says otherwise;
- a `^` query may find no row (`X | None`) unless a `-- one row` line says it
  always returns one (an aggregate, say).

Rows of `^` queries and of plain selects arrive as the generated Structs (the
adapter in service/database.py builds them), so code reads `row.total`, and
mypy checks every call: the parameter names, their types, and the row fields.
"""

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosql
import asyncpg
from aiosql.types import SQLOperationType

from service.embedded import embedded_database
from service.migrations import apply_pending
from service.paths import PACKAGE_DIR, SQL_DIR

OUTPUT = PACKAGE_DIR / "query_types.py"

# PostgreSQL type name -> (Python annotation, import it needs)
PYTHON_TYPES: dict[str, str] = {
    "text": "str",
    "varchar": "str",
    "bpchar": "str",
    "name": "str",
    "uuid": "UUID",
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "oid": "int",
    "float4": "float",
    "float8": "float",
    "numeric": "Decimal",
    "bool": "bool",
    "timestamptz": "datetime",
    "timestamp": "datetime",
    "date": "date",
    "interval": "timedelta",
    "json": "Any",
    "jsonb": "Any",
}

_DIRECTIVE = re.compile(r"^(not null|nullable|one row)(?::\s*(?P<names>.*))?$")


@dataclass(frozen=True)
class QueryTypes:
    name: str
    operation: SQLOperationType
    parameters: list[tuple[str, str]]  # (name, annotation) in declaration order
    columns: list[tuple[str, str]]  # (name, annotation) in result order
    doc: str
    one_row: bool


def python_type(pg_type: Any, *, parameter: bool = False) -> str:
    """The annotation for an asyncpg Type (arrays of known types become lists).

    A numeric parameter takes an int too (asyncpg encodes both); a numeric column arrives as Decimal.
    """
    if parameter and pg_type.name == "numeric":
        return "Decimal | int"
    if pg_type.kind == "array" and pg_type.name.endswith("[]"):
        return f"list[{PYTHON_TYPES.get(pg_type.name.removesuffix('[]'), 'Any')}]"
    return PYTHON_TYPES.get(pg_type.name, "Any")


def directives(doc: str) -> dict[str, set[str] | None]:
    """`-- not null` / `-- nullable: a, b` lines of a query's comment (None: every name)."""
    found: dict[str, set[str] | None] = {}
    for line in doc.splitlines():
        if match := _DIRECTIVE.match(line.strip()):
            names = match["names"]
            found[match[1]] = {n.strip() for n in names.split(",")} if names else None
    return found


def optional_parameters(sql: str, names: list[str], marks: dict[str, set[str] | None]) -> set[str]:
    if "nullable" in marks:
        listed = marks["nullable"]
        optional = set(names) if listed is None else listed & set(names)
    else:
        optional = set()
    for name in names:
        tested = rf":{name}(?:::[\w ]+)?\s+IS\s+NULL"
        coalesced = rf"coalesce\(\s*:{name}\b"
        if re.search(tested, sql, re.IGNORECASE) or re.search(coalesced, sql, re.IGNORECASE):
            optional.add(name)
    return optional


def annotate(annotation: str, nullable: bool) -> str:
    return f"{annotation} | None" if nullable and annotation != "Any" else annotation


async def describe(conn: asyncpg.Connection, raw_queries: Any, name: str) -> QueryTypes:
    query = getattr(raw_queries, name)
    declared: list[str] = list(query.parameters or [])
    order: list[str] = raw_queries.driver_adapter.maybe_order_params(name, {p: p for p in declared})
    statement = await conn.prepare(query.sql)
    pg_parameters = dict(zip(order, statement.get_parameters(), strict=True))
    doc = (query.__doc__ or "").strip()
    marks = directives(doc)
    source_sql = re.sub(r"\$(\d+)\b", lambda m: ":" + order[int(m.group(1)) - 1], query.sql)
    optional = optional_parameters(source_sql, declared, marks)
    parameters = [(p, annotate(python_type(pg_parameters[p], parameter=True), p in optional)) for p in declared]
    not_null = marks.get("not null", set()) if "not null" in marks else set()
    columns = [
        (attr.name, annotate(python_type(attr.type), not (not_null is None or attr.name in not_null)))
        for attr in statement.get_attributes()
    ]
    return QueryTypes(name, query.operation, parameters, columns, doc, one_row="one row" in marks)


def struct_name(query: str) -> str:
    return "".join(part.title() for part in query.split("_")) + "Row"


def render(described: list[QueryTypes]) -> str:
    lines = [
        '"""The types of the named queries in sql/. Generated by `python -m service.query_typegen`: do not edit.',
        "",
        "A test regenerates this file from a freshly migrated database and fails when it differs,",
        "so a parameter renamed in sql/ is a type error wherever the query is called.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *_imports(described),
        "",
        "__all__ = [",
        '    "ROW_TYPES",',
        '    "Queries",',
        *(f'    "{struct_name(q.name)}",' for q in described if q.operation in _ROW_OPERATIONS),
        "]",
        "",
        "Connection: TypeAlias = "
        '"asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"',
        '"""What every query takes: a connection, or one borrowed from the pool (never the pool itself)."""',
        "",
    ]
    for query in described:
        if query.operation not in _ROW_OPERATIONS:
            continue
        lines += ["", f"class {struct_name(query.name)}(msgspec.Struct, frozen=True):"]
        lines.append(f'    """A row of `{query.name}`."""')
        lines.append("")
        lines += [f"    {column}: {annotation}" for column, annotation in query.columns]
        lines.append("")
    lines += [
        "",
        "ROW_TYPES: dict[str, type[msgspec.Struct]] = {",
        *(f'    "{q.name}": {struct_name(q.name)},' for q in described if q.operation in _ROW_OPERATIONS),
        "}",
        '"""The Struct each row-returning query builds its rows as."""',
        "",
        "",
        "class Queries(Protocol):",
        '    """The aiosql object of sql/, with every query\'s parameters and result typed."""',
        "",
        "    available_queries: list[str]",
    ]
    for query in described:
        params = "".join(f", {name}: {annotation}" for name, annotation in query.parameters)
        signature = f"self, conn: Connection{', *' if params else ''}{params}"
        lines.append("")
        lines.append(f"    def {query.name}({signature}) -> {_result(query)}: ...")
        if query.operation == SQLOperationType.SELECT:
            lines.append("")
            lines.append(
                f"    def {query.name}_cursor({signature}) -> AbstractAsyncContextManager[TimedCursorFactory]: ..."
            )
    return "\n".join(lines) + "\n"


_ROW_OPERATIONS = (SQLOperationType.SELECT_ONE, SQLOperationType.SELECT)


def _imports(described: list[QueryTypes]) -> list[str]:
    """The import block (isort order, as ruff wants it), with only the types the file uses."""
    used = {word for q in described for _, a in q.parameters + q.columns for word in re.findall(r"\w+", a)}
    datetime_names = [n for n in ("date", "datetime", "timedelta") if n in used]
    lines = [
        "from collections.abc import AsyncIterator, Awaitable",
        "from contextlib import AbstractAsyncContextManager",
    ]
    if datetime_names:
        lines.append(f"from datetime import {', '.join(datetime_names)}")
    if "Decimal" in used:
        lines.append("from decimal import Decimal")
    lines.append("from typing import Any, Protocol, TypeAlias")
    if "UUID" in used:
        lines.append("from uuid import UUID")
    return [
        *lines,
        "",
        "import asyncpg",
        "import asyncpg.pool",
        "import msgspec",
        "",
        "from service.timed_cursor import TimedCursorFactory",
        "",
    ]


def _result(query: QueryTypes) -> str:
    row = struct_name(query.name)
    match query.operation:
        case SQLOperationType.SELECT_ONE:
            return f"Awaitable[{row}]" if query.one_row else f"Awaitable[{row} | None]"
        case SQLOperationType.SELECT:
            return f"AsyncIterator[{row}]"
        case SQLOperationType.SELECT_VALUE:
            ((_, annotation),) = query.columns
            return f"Awaitable[{annotation}]"
        case _:
            return "Awaitable[str]"  # the command status, e.g. 'UPDATE 1'


def formatted(text: str) -> str:
    """The text as `ruff check --fix` and `ruff format` leave it (ruff is a development dependency,
    like this command), so the linters never disagree with the generator."""
    for command in (["check", "--fix-only", "--exit-zero", "--quiet"], ["format"]):
        text = subprocess.run(  # noqa: S603 (our own interpreter and a fixed command)
            [sys.executable, "-m", "ruff", *command, f"--stdin-filename={OUTPUT}", "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return text


async def generate(dsn: str) -> str:
    # aiosql's own adapter rewrites :names the way the service's does, and needs no generated types.
    raw_queries = aiosql.from_path(SQL_DIR, "asyncpg")
    conn = await asyncpg.connect(dsn)
    try:
        names = sorted(n for n in raw_queries.available_queries if not n.endswith("_cursor"))
        return formatted(render([await describe(conn, raw_queries, name) for name in names]))
    finally:
        await conn.close()


def generate_from_scratch() -> str:
    """The file's text, from a database migrated from scratch in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="query-typegen-") as data_dir, embedded_database(Path(data_dir)) as dsn:
        apply_pending(dsn)
        return asyncio.run(generate(dsn))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file is out of date")
    args = parser.parse_args(argv)
    text = generate_from_scratch()
    if args.check:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is out of date: run python -m service.query_typegen", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
