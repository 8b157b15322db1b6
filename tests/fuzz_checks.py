"""A schemathesis check of our own, loaded by tests/test_fuzzing.py: no response leaks internals."""

from typing import Any

import schemathesis

LEAKS = ("Traceback", "SELECT ", "INSERT ", "UPDATE ", "asyncpg", "psycopg", "sqlstate", "pg_", 'File "')


@schemathesis.check
def no_internals_in_body(ctx: object, response: schemathesis.Response, case: Any) -> None:
    """Bodies never carry SQL, driver messages or stack traces."""
    body = response.text or ""
    found = [leak for leak in LEAKS if leak in body]
    if found:
        raise AssertionError(f"the response body shows internals ({', '.join(found)})")
