"""Input is read with JSON's and the document's types: what the OpenAPI document refuses is a 400."""

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.factories import add_job, create_campaign

Client = AsyncTestClient[Any]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Launch", "searchType": "keyword", "description": 5}, "description"),
        ({"name": 7, "searchType": "keyword"}, "name"),
        ({"name": "Launch", "searchType": "keyword", "extra": 1}, "extra"),
        ({"name": "Nul\u0000", "searchType": "keyword"}, "name"),
    ],
)
async def test_a_body_of_the_wrong_json_types_is_400(
    client: Client, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/campaigns", json=body, headers=auth)
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == field


async def test_numbers_and_booleans_are_not_read_from_strings_or_each_other(
    client: Client, auth: dict[str, str]
) -> None:
    campaign = await create_campaign(client, auth)
    base = {"campaignId": campaign["id"], "keywords": ["linen"]}
    as_text = await client.post("/api/scraping/tiktok", json={**base, "targetResults": "50"}, headers=auth)
    assert as_text.status_code == 400
    assert as_text.json()["details"] == [{"field": "targetResults", "message": "Expected `int`, got `str`"}]
    # JSON Schema counts 50.0 as an integer, and so does the server.
    integral = await client.post("/api/scraping/tiktok", json={**base, "targetResults": 50.0}, headers=auth)
    assert integral.status_code == 201, integral.text
    assert integral.json()["targetResults"] == 50


@pytest.mark.parametrize(
    "query",
    ["minFollowers=null", "hasEmail=null", "sort=null"],
)
async def test_null_is_not_a_query_value_of_numbers_booleans_or_enums(
    client: Client, auth: dict[str, str], pool: Any, query: str
) -> None:
    campaign = await create_campaign(client, auth)
    job = await add_job(pool, campaign)
    for route in ("creators", "creators.csv"):
        response = await client.get(f"/api/jobs/{job}/{route}?{query}", headers=auth)
        assert response.status_code == 400, (route, response.text)


async def test_null_is_text_where_the_parameter_is_text(client: Client, auth: dict[str, str], pool: Any) -> None:
    campaign = await create_campaign(client, auth)
    job = await add_job(pool, campaign)
    response = await client.get(f"/api/jobs/{job}/creators?hashtag=null", headers=auth)
    assert response.status_code == 200
    assert response.json()["creators"] == []
