"""The query types: generated from sql/ and the migrated schema, up to date, and enforced by mypy."""

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from service.database import queries
from service.query_typegen import OUTPUT, generate
from service.query_types import ROW_TYPES, Queries

PROJECT = Path(__file__).resolve().parent.parent


async def test_the_generated_types_match_sql_and_the_schema(dsn: str) -> None:
    # dsn is a database migrated from scratch, as the generator's own would be.
    assert OUTPUT.read_text() == await generate(dsn), "run: python -m service.query_typegen"


def test_every_query_is_typed() -> None:
    typed = {name for name in dir(Queries) if not name.startswith("_") and name != "available_queries"}
    assert typed == set(queries.available_queries)


def test_row_queries_build_their_structs() -> None:
    assert set(ROW_TYPES) <= set(queries.available_queries)


def mypy_errors(tmp_path: Path, code: str) -> str:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(code))
    out, _, status = mypy_api.run(["--strict", "--no-error-summary", "--python-version=3.11", str(snippet)])
    assert status != 0, "mypy accepted the call"
    return out


CALL = """
    from uuid import UUID
    import asyncpg
    from service.database import queries

    async def read(conn: asyncpg.Connection) -> None:
        await queries.get_job_detail(conn, {arguments})
"""


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ('user_id="u", jobid=UUID(int=1)', 'Unexpected keyword argument "jobid"'),
        ('user_id="u", job_id="not a uuid"', 'incompatible type "str"; expected "UUID"'),
        ("user_id=1, job_id=UUID(int=1)", 'incompatible type "int"; expected "str"'),
    ],
)
def test_a_wrong_call_is_a_type_error(tmp_path: Path, arguments: str, complaint: str) -> None:
    assert complaint in mypy_errors(tmp_path, CALL.format(arguments=arguments))


def test_a_row_field_that_does_not_exist_is_a_type_error(tmp_path: Path) -> None:
    code = """
        import asyncpg
        from service.database import queries

        async def read(conn: asyncpg.Connection) -> int:
            row = await queries.list_jobs_page(
                conn, user_id="u", status=None, platform=None, campaign_id=None, created_from=None,
                created_to=None, sort_by="createdAt", descending=True, page_size=1, skip=0,
            )
            return row.totl
    """
    assert '"ListJobsPageRow" has no attribute "totl"' in mypy_errors(tmp_path, code)
