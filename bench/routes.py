"""The benchmarked routes: the request each contender gets, and the named query that is the floor.

A target is one simulated user: a typical bench user, one of its jobs that
has results, and a keyword it searched for. The service gets the user's
bearer token; the Node peer (which checks no tokens) gets X-User-Id; pgbench
gets the same user and ids as arguments of the route's named query.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import msgspec

from bench.loadgen import HttpRequest

# Every campaign the write benchmark creates has this name, so it can be removed afterwards.
CREATED_CAMPAIGN_NAME = "Load test campaign"
CREATE_BODY = msgspec.json.encode({"name": CREATED_CAMPAIGN_NAME, "searchType": "keyword"}).decode()
NO_CREATOR_FILTERS = {"min_followers": None, "max_followers": None, "has_email": None, "hashtag": None}
# export_job_creators_batch's keyset arguments for the first batch of an export.
EXPORT_FIRST_BATCH = {"after_value": None, "after_key": None, "batch_size": 500}


def first_campaigns_page(user_id: str) -> dict[str, Any]:
    """list_campaigns_page's arguments for the first page of 12, unfiltered (route A)."""
    return {
        "user_id": user_id,
        "status": None,
        "active_only": False,
        "before_created_at": None,
        "before_id": None,
        "page_size": 12,
        "skip": 0,
    }


def first_creators_page(user_id: str, job_id: Any, sort_by: str = "followers") -> dict[str, Any]:
    """list_job_creators_page's arguments for the first page of 50, unfiltered (route E)."""
    return {
        "user_id": user_id,
        "job_id": job_id,
        **NO_CREATOR_FILTERS,
        "sort_by": sort_by,
        "after_value": None,
        "after_key": None,
        "page_size": 50,
    }


@dataclass(frozen=True)
class Target:
    user_id: str
    job_id: str
    keyword: str
    token: str


@dataclass(frozen=True)
class Route:
    key: str
    title: str
    method: str
    path: Callable[[Target], str]
    query: str
    arguments: Callable[[Target], Mapping[str, Any]]
    body: str = ""
    on_peer: bool = True

    def service_request(self, target: Target) -> HttpRequest:
        return HttpRequest(self.method, self.path(target), ("Authorization", f"Bearer {target.token}"), self.body)

    def peer_request(self, target: Target) -> HttpRequest:
        return HttpRequest(self.method, self.path(target), ("X-User-Id", target.user_id), self.body)


ROUTES = (
    Route(
        key="A",
        title="GET /api/campaigns (page of 12)",
        method="GET",
        path=lambda t: "/api/campaigns?page=1&limit=12",
        query="list_campaigns_page",
        arguments=lambda t: first_campaigns_page(t.user_id),
    ),
    Route(
        key="B",
        title="GET /api/jobs/{id}",
        method="GET",
        path=lambda t: f"/api/jobs/{t.job_id}",
        query="get_job_detail",
        arguments=lambda t: {"user_id": t.user_id, "job_id": t.job_id},
    ),
    Route(
        key="C",
        title="POST /api/campaigns",
        method="POST",
        path=lambda t: "/api/campaigns",
        query="create_campaign",
        arguments=lambda t: {
            "user_id": t.user_id,
            "name": CREATED_CAMPAIGN_NAME,
            "description": None,
            "search_type": "keyword",
        },
        body=CREATE_BODY,
    ),
    Route(
        key="D",
        title="GET /api/jobs/search?keyword=",
        method="GET",
        path=lambda t: f"/api/jobs/search?keyword={quote(t.keyword)}",
        query="search_jobs_by_keyword",
        arguments=lambda t: {"user_id": t.user_id, "keyword": t.keyword, "page_size": 20},
    ),
    Route(
        key="E",
        title="GET /api/jobs/{id}/creators (page of 50)",
        method="GET",
        path=lambda t: f"/api/jobs/{t.job_id}/creators",
        query="list_job_creators_page",
        arguments=lambda t: first_creators_page(t.user_id, t.job_id),
        on_peer=False,
    ),
)
