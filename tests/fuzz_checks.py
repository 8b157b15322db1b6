"""Schemathesis hooks loaded by tests/test_fuzzing.py: a check of our own, and what a cursor is.

A cursor is a value only the server makes (the OpenAPI document gives it a
format of its own, see service/pagination.py), so the fuzzer draws cursors the
way the server encodes them (for the sort it is used with); and a search's options are kept to those of its
platform and search type.
"""

from datetime import UTC
from typing import Any, get_args

import schemathesis
from hypothesis import strategies as st

from service.api.campaign_creators import CAMPAIGN_CREATOR_CURSOR_FORMAT, CampaignCreatorSort
from service.enumerations import SEARCH_BY_SLUG
from service.openapi_document import ITEM_SCHEMA
from service.pagination import (
    CREATOR_CURSOR_FORMAT,
    KEYSET_CURSOR_FORMAT,
    CreatorCursor,
    KeysetCursor,
    decode_token,
    encode_cursor,
    encode_token,
)
from service.search_options import OPTIONS

LEAKS = ("Traceback", "SELECT ", "INSERT ", "UPDATE ", "asyncpg", "psycopg", "sqlstate", "pg_", 'File "')

schemathesis.openapi.format(
    KEYSET_CURSOR_FORMAT,
    st.just("")
    | st.builds(
        lambda at, row, page: encode_cursor(KeysetCursor(at, row, page)),
        st.datetimes(timezones=st.just(UTC)),
        st.uuids(),
        st.integers(1, 1000),
    ),
)
schemathesis.openapi.format(
    CREATOR_CURSOR_FORMAT,
    st.builds(
        lambda sort, value, key: encode_token(CreatorCursor(sort, str(value), key)),
        st.sampled_from(["followers", "engagement"]),
        st.integers(0, 10**9),
        st.text(max_size=40),
    ),
)

_RECENT = st.datetimes(timezones=st.just(UTC)).map(lambda at: at.isoformat())


def _campaign_creator_cursor(sort: str, value: str | None, key: str) -> str:
    """A campaign creators cursor as the server makes it for `sort` (a number, or a time for recent)."""
    return encode_token(CreatorCursor(sort, value or ("2026-01-01T00:00:00+00:00" if sort == "recent" else "0"), key))


schemathesis.openapi.format(
    CAMPAIGN_CREATOR_CURSOR_FORMAT,
    st.builds(
        lambda sort, number, at, key: _campaign_creator_cursor(sort, at if sort == "recent" else str(number), key),
        st.sampled_from(get_args(CampaignCreatorSort)),
        st.integers(0, 10**9),
        _RECENT,
        st.text(max_size=40),
    ),
)


def _align_campaign_creator_cursor(case: Any) -> None:
    """A campaign creators cursor is made for one sort (400 with another): keep it to the request's."""
    query = case.query
    if not isinstance(query, dict) or not isinstance(query.get("cursor"), str) or not query["cursor"]:
        return
    sort = query.get("sort", "followers")
    try:
        cursor = decode_token(query["cursor"], CreatorCursor)
    except Exception:  # not a cursor the server made: nothing to align
        return
    if cursor.sort != sort and sort in get_args(CampaignCreatorSort):
        case.query = {**query, "cursor": _campaign_creator_cursor(sort, None, cursor.key)}


@schemathesis.hook
def before_load_schema(ctx: Any, raw_schema: dict[str, Any]) -> None:
    """Each event of a stream is checked against its schema: the document's extension, read as 3.2's itemSchema."""
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                for media_type in response.get("content", {}).values():
                    if ITEM_SCHEMA in media_type:
                        media_type["itemSchema"] = media_type[ITEM_SCHEMA]


@schemathesis.hook
def filter_case(ctx: Any, case: Any) -> bool:
    """Drop a case labelled valid whose query value is longer than its parameter's documented maxLength.

    schemathesis 4.32.5's coverage phase can reuse, in a valid combination of optional query
    parameters, the too-long value it made for a maxLength test (seen when the parameter's pattern
    has a character class with non-ASCII characters, as the blanks of service/validation.py do).
    Such a case is not valid; the server rightly answers 400. Invalid cases are kept: they test refusal.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not isinstance(case.query, dict):
        return True
    for parameter in case.operation.query:
        value = case.query.get(parameter.name)
        limit = parameter.definition.get("schema", {}).get("maxLength")
        if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
            return False
    return True


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    """Valid cases keep to what the path allows, which JSON Schema cannot tie to the body.

    A search's options are those of its platform and search type (as their
    descriptions say), and the old frontend's slugs (tiktok-similar, ...) stand for
    one search type; a body against them is rightly refused.
    """
    meta = case.meta
    body = case.body
    if (
        meta is not None
        and meta.generation.mode.is_positive
        and case.operation.path == "/api/campaigns/{campaign_id}/creators"
    ):
        _align_campaign_creator_cursor(case)
    if (
        meta is None
        or not meta.generation.mode.is_positive
        or case.operation.path != "/api/scraping/{platform}"
        or case.method.upper() != "POST"
        or not isinstance(body, dict)
        or (slug := SEARCH_BY_SLUG.get(case.path_parameters.get("platform"))) is None
    ):
        return case
    platform, slug_search_type = slug
    # The old frontend's slugs stand for one search type (a body of the other is a 400).
    if slug_search_type == "similar" and "keywords" in body:
        body = {k: v for k, v in body.items() if k != "keywords"} | {"targetUsername": "creator"}
    if slug_search_type == "keyword" and "keywords" not in body:
        body = {k: v for k, v in body.items() if k not in ("targetUsername", "username")} | {"keywords": ["linen"]}
    if isinstance(body.get("searchParams"), dict):
        search_type = "keyword" if "keywords" in body else "similar"
        allowed = OPTIONS[(platform, search_type)]
        options = {k: v for k, v in body["searchParams"].items() if k in allowed and v in allowed[k].values}
        body = {**body, "searchParams": options}
    case.body = body
    return case


@schemathesis.check
def no_internals_in_body(ctx: object, response: schemathesis.Response, case: Any) -> None:
    """Bodies never carry SQL, driver messages or stack traces."""
    body = response.text or ""
    found = [leak for leak in LEAKS if leak in body]
    if found:
        raise AssertionError(f"the response body shows internals ({', '.join(found)})")
