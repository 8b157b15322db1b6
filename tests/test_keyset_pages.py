"""Keyset pages walk the whole list once, even while new campaigns keep arriving."""

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient

from tests.factories import create_campaign


async def walk(client: AsyncTestClient[Any], auth: dict[str, str], limit: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = ""
    pages = 0
    while True:
        response = await client.get("/api/campaigns", params={"cursor": cursor, "limit": limit}, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert body["pagination"]["currentPage"] == pages
        seen.extend(body["campaigns"])
        if body["pagination"]["nextCursor"] is None:
            return seen
        cursor = body["pagination"]["nextCursor"]


async def test_walk_has_no_duplicates_or_gaps_while_campaigns_are_created(
    client: AsyncTestClient[Any], auth: dict[str, str]
) -> None:
    existing = {(await create_campaign(client, auth, name=f"old {i}"))["id"] for i in range(23)}

    async def keep_creating() -> None:
        for i in range(15):
            await create_campaign(client, auth, name=f"new {i}")
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_creating())
    seen = await walk(client, auth, limit=4)
    await writer

    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)), "a campaign appeared twice"
    assert existing <= set(ids), "a campaign that existed before the walk was skipped"
    created_at = [c["createdAt"] for c in seen]
    assert created_at == sorted(created_at, reverse=True)


async def test_last_full_page_has_no_next_cursor(client: AsyncTestClient[Any], auth: dict[str, str]) -> None:
    for i in range(4):
        await create_campaign(client, auth, name=f"c{i}")
    seen = await walk(client, auth, limit=2)
    assert [c["name"] for c in seen] == ["c3", "c2", "c1", "c0"]
