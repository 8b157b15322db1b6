"""The OpenAPI document says what the server does, and the browsable page renders it.

The checks are generated from the app and its document, so routes added later
are covered as they land: every response typed, every body refusing unknown
fields, every id a uuid, every component used, every OPTIONS `Allow` complete.
"""

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

from service.app import create_app
from service.csv_export import CAMPAIGN_COLUMNS, COLUMNS
from service.openapi_document import ITEM_SCHEMA
from service.settings import Settings
from tests.conftest import SECRET
from tests.processes import child_env, running_service

Client = AsyncTestClient[Any]

_offline = Settings(database_url="postgresql://unused@/unused", auth_jwt_secret="d" * 40)
APP = create_app(_offline, "postgresql://unused@/unused")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Free-form on purpose: what a job was asked to search with (its parameters vary by
# platform and search type), the per-email delivery record, and a configuration value
# of the type its entry names.
FREE_FORM = {"searchParams", "emailScheduleStatus", "value"}
# Creator objects adopted from the old system keep the keys it wrote (the typed shape is the other arm).
FREE_FORM |= {"creators", "creator", "video"}


@pytest.fixture(scope="module")
def service_url(dsn: str) -> Iterator[str]:
    with running_service(child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, RUN_WORKER="false")) as (url, _):
        yield url


@pytest.fixture(scope="module")
def document(service_url: str) -> dict[str, Any]:
    response = httpx.get(f"{service_url}/schema/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_swagger_ui_renders_every_operation_in_chromium(service_url: str, document: dict[str, Any]) -> None:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        run = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                # Offline proof: any request off this machine fails.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--virtual-time-budget=20000",
                "--dump-dom",
                f"{service_url}/schema",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    page = run.stdout
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Unable to render this definition" not in page
    assert 'class="swagger-ui' in page, page[:3000]
    rendered = set(re.findall(r'data-path="([^"]+)"', page))
    documented = {path for _, path, _ in _operations(document)}
    assert rendered == documented
    # Each operation's method block is there, e.g. "opblock opblock-get".
    for method, _, _ in _operations(document):
        assert f"opblock-{method.lower()}" in page


def test_the_document_is_byte_identical_across_two_starts(dsn: str, service_url: str) -> None:
    first = httpx.get(f"{service_url}/schema/openapi.json").content
    with running_service(child_env(DATABASE_URL=dsn, AUTH_JWT_SECRET=SECRET, RUN_WORKER="false")) as (url, _):
        second = httpx.get(f"{url}/schema/openapi.json").content
        yaml_text = httpx.get(f"{url}/schema/openapi.yaml").text
    assert first == second
    assert b'"example' not in first  # no generated (random) examples
    assert "text/event-stream" in yaml_text  # the YAML rendering is the finished document too


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # What a frontend's tool chain checks before generating from it.
    assert document["openapi"].startswith("3.1.")
    validate(document)


def _patterns(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(_patterns(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(item) for item in node))
    return set()


# Characters on which regular expression dialects differ: blanks and controls (`\s`), letters and
# digits beyond ASCII (`\w`), line breaks (`$`), the byte order mark.
_TRICKY = [chr(c) for c in (*range(0x00, 0x21), *range(0x7F, 0xA1), 0x1680, *range(0x2000, 0x2030), 0x205F, 0x3000)]
_TRICKY += ["\ufeff", "a", "Z", "é", "日", "٣", "_", "-", ".", "#", "@", "x" * 101]
SAMPLE_TEXTS = sorted(
    {c for c in _TRICKY}
    | {f"{c}ab" for c in _TRICKY}
    | {f"ab{c}" for c in _TRICKY}
    | {f"a{c}b" for c in _TRICKY}
    | {f"{c}#ab{c}" for c in _TRICKY}
    | {f"{c}@ab{c}" for c in _TRICKY}
    | {f"{c}us{c}" for c in _TRICKY}
)


def test_every_pattern_means_the_same_in_python_and_javascript(document: dict[str, Any]) -> None:
    # The server checks a pattern with Python's re (msgspec); clients and validators read it as
    # JSON Schema says, in JavaScript's dialect. Each pattern must accept and refuse the same texts.
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: JavaScript's regular expressions are what this compares against")
    patterns = sorted(_patterns(document))
    assert patterns
    script = (
        "const {patterns, texts} = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => texts.map(t => new RegExp(p, 'u').test(t)))));"
    )
    run = subprocess.run(
        [node, "-e", script],
        input=json.dumps({"patterns": patterns, "texts": SAMPLE_TEXTS}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    in_javascript = json.loads(run.stdout)
    differences = [
        (pattern, text)
        for pattern, answers in zip(patterns, in_javascript, strict=True)
        for text, in_js in zip(SAMPLE_TEXTS, answers, strict=True)
        if (re.search(pattern, text) is not None) != in_js
    ]
    assert not differences, differences[:20]


def test_blank_is_what_python_trims_and_the_byte_order_mark() -> None:
    from service.validation import BLANK, BLANKS

    every = {chr(c) for c in range(0x110000)}
    assert set(BLANKS) == {c for c in every if c.isspace()} | {"\ufeff"}
    assert {c for c in every if re.fullmatch(BLANK, c)} == set(BLANKS)


def test_every_component_is_used_and_every_reference_resolves(document: dict[str, Any]) -> None:
    text = str(document)
    names = set(document["components"]["schemas"])
    referenced = set(re.findall(r"#/components/schemas/(\w+)", text))
    assert referenced <= names, f"dangling references: {referenced - names}"
    assert names <= referenced, f"unused schemas: {names - referenced}"
    assert not {"CampaignPageOut", "JobPageOut", "CreatorPageOut"} & names


def test_every_success_response_is_typed(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content")
            assert content, f"{method} {path} {status} has no content"
            for media_type, body in content.items():
                # An event stream is typed event by event.
                schema = _resolve(document, body.get(ITEM_SCHEMA) or body.get("schema", {}))
                assert schema.get("type") or schema.get("anyOf"), f"{method} {path} {status} {media_type}: untyped"


def test_no_object_is_free_form_except_the_named_ones(document: dict[str, Any]) -> None:
    def free_form(schema: dict[str, Any]) -> bool:
        if "$ref" in schema or "enum" in schema:
            return False
        if "anyOf" in schema:
            return any(free_form(arm) for arm in schema["anyOf"])
        if schema.get("type") == "object":
            extra = schema.get("additionalProperties")
            if "properties" in schema or extra is False:
                return False
            return extra is None or extra is True or free_form(extra)
        if schema.get("type") == "array":
            return free_form(schema.get("items", {}))
        return "type" not in schema

    found = {
        field
        for component in document["components"]["schemas"].values()
        for field, schema in component.get("properties", {}).items()
        if free_form(schema)
    }
    assert found == FREE_FORM


def test_creator_items_are_fully_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    page_item = _resolve(document, schemas["CreatorPage"]["properties"]["creators"]["items"]["anyOf"][0])
    assert page_item["properties"]["engagementRate"] == {"type": "number"}
    assert set(page_item["required"]) == {"creator", "video", "hashtags", "platform", "engagementRate"}
    profile = _resolve(document, page_item["properties"]["creator"])
    assert set(profile["properties"]) == {"name", "handle", "followers", "avatarUrl", "bio", "emails"}
    video = _resolve(document, page_item["properties"]["video"])
    statistics = _resolve(document, video["properties"]["statistics"])
    assert set(statistics["properties"]) == {"likes", "comments", "shares", "views"}
    result_item = _resolve(document, schemas["Result"]["properties"]["creators"]["items"]["anyOf"][0])
    assert set(result_item["properties"]) == {"creator", "video", "hashtags", "platform"}


def test_the_event_stream_and_the_csv_are_documented_as_sent(document: dict[str, Any]) -> None:
    events = document["paths"]["/api/jobs/{job_id}/events"]["get"]["responses"]["200"]
    assert set(events["content"]) == {"text/event-stream"}
    event = events["content"]["text/event-stream"][ITEM_SCHEMA]
    assert event["properties"]["event"]["enum"] == ["progress"]
    assert event["properties"]["data"]["contentSchema"] == {"$ref": "#/components/schemas/Job"}
    assert "`progress`" in events["description"]
    assert "`Job` schema" in events["description"]
    creators = document["paths"]["/api/jobs/{job_id}/creators"]["get"]["responses"]["200"]
    assert set(creators["content"]) == {"application/json", "text/csv"}
    downloads = {
        "/api/jobs/{job_id}/creators": COLUMNS,
        "/api/jobs/{job_id}/creators.csv": COLUMNS,
        "/api/export/csv": COLUMNS,
        "/api/campaigns/{campaign_id}/creators.csv": CAMPAIGN_COLUMNS,
    }
    answering_csv = {
        path
        for path, item in document["paths"].items()
        if "text/csv" in item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
    }
    assert answering_csv == set(downloads)
    for path, columns in downloads.items():
        csv_body = document["paths"][path]["get"]["responses"]["200"]["content"]["text/csv"]["schema"]
        assert csv_body["type"] == "string"
        assert f"Columns: {', '.join(columns)}." in csv_body["description"], path


def test_retry_after_and_downloads_are_declared(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status in ("429", "503"):
                assert response["headers"]["Retry-After"]["schema"]["type"] == "integer", f"{method} {path} {status}"
            if "text/csv" in response.get("content", {}):
                assert "Content-Disposition" in response["headers"], f"{method} {path}"


def test_every_change_documents_the_cookie_origin_refusal(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if method in ("POST", "PUT", "PATCH", "DELETE") and path.startswith("/api/"):
            assert "ALLOWED_ORIGINS" in operation["responses"]["403"]["description"], f"{method} {path}"
            assert ("413" in operation["responses"]) == (method != "DELETE"), f"{method} {path}"


def test_every_moment_is_a_date_time(document: dict[str, Any]) -> None:
    moments = {
        (name, field): schema
        for name, component in document["components"]["schemas"].items()
        for field, schema in component.get("properties", {}).items()
        if re.search(r"(At|Date|Timestamp)$", field) or field == "latestJob"
    }
    assert len(moments) > 10
    for (name, field), schema in moments.items():
        if name == "ConfigPost":  # the listed entry sent back: its timestamps are ignored, any text
            continue
        arms = schema.get("anyOf", [schema])
        assert {"type": "string", "format": "date-time"} in arms, f"{name}.{field}: {schema}"


def test_every_request_body_refuses_unknown_fields(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        if "requestBody" in operation:
            schema = _resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
            assert schema["additionalProperties"] is False, f"{method} {path}"


def test_every_id_is_a_uuid(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if re.search(r"(_id|Id)$", parameter["name"]):
                assert parameter["schema"].get("format") == "uuid", f"{method} {path} {parameter['name']}"
        if "requestBody" in operation:
            body = _resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
            for name, schema in body["properties"].items():
                if name.endswith("Id"):
                    assert schema.get("format") == "uuid", f"{method} {path} {name}"


def test_documented_limits_are_the_validation_constants(document: dict[str, Any]) -> None:
    from service import validation

    schemas = document["components"]["schemas"]
    campaign = schemas["CampaignCreate"]["properties"]
    assert campaign["name"]["maxLength"] == validation.CAMPAIGN_NAME_MAX
    assert campaign["description"]["anyOf"][0]["maxLength"] == validation.CAMPAIGN_DESCRIPTION_MAX
    job = schemas["JobCreate"]["properties"]
    assert job["keywords"]["maxItems"] == validation.KEYWORDS_MAX
    assert job["keywords"]["items"]["maxLength"] == validation.KEYWORD_MAX_LENGTH
    assert job["targetResults"]["maximum"] == validation.TARGET_RESULTS_MAX
    assert re.fullmatch(job["region"]["pattern"], "gb")
    assert not re.search(job["region"]["pattern"], "csaFfCAFgDUPnfKIspFP")
    action = schemas["JobAction"]["properties"]["action"]
    assert action["enum"] == ["cancel"]


async def test_options_allow_lists_every_method_of_the_path(client: Client) -> None:
    for route in APP.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):\w+\}", "x", route.path)
        response = await client.options(path)
        assert response.status_code == 204, route.path
        assert response.headers["allow"] == ", ".join(sorted(route.methods)), route.path


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    """They are the handlers' names (what generated clients call the operations): no two alike."""
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
