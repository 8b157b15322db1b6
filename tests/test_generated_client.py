"""A client generated from the live OpenAPI document runs the whole scenario, with its own types only.

This is what a frontend team does: generate a client with openapi-python-client
from /schema/openapi.json, then onboard, manage campaigns, run a search and
read its results, its CSV and its event stream. Every request is built and
every response parsed by generated code; a response the document misdescribes
fails to parse (or parses as an error body) here.
"""

import csv
import importlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
import pytest

from service.auth import TokenVerifier
from service.csv_export import COLUMNS
from tests.conftest import SECRET
from tests.processes import child_env, running_service

PACKAGE = "generated_influencer_client"


@pytest.fixture(scope="module")
def service_url(module_database: str) -> Iterator[str]:
    env = child_env(DATABASE_URL=module_database, AUTH_JWT_SECRET=SECRET, RUN_WORKER="true", SIMULATED_LATENCY_MS="100")
    with running_service(env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def generated(service_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported from a temporary directory."""
    root = tmp_path_factory.mktemp("client")
    document = root / "openapi.json"
    document.write_bytes(httpx.get(f"{service_url}/schema/openapi.json").content)
    # Images (the avatar proxy) come as any image/* type: the client reads them as bytes.
    config = root / "config.yaml"
    config.write_text('content_type_overrides:\n  "image/*": application/octet-stream\n')
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(root / PACKAGE),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # Anything the generator could not read would be missing from the client.
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _server_sent_events(text: str) -> list[tuple[str, str]]:
    """(event, data) of each event in a text/event-stream body; comments and ids are skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and not line.startswith(":"))
        if "data" in fields:
            events.append((fields.get("event", "message"), fields["data"]))
    return events


def _ok(response: Any, status: int) -> Any:
    """The parsed body of a generated call's response, after checking its status."""
    assert response.status_code == status, response.content
    return response.parsed


def test_the_whole_scenario_through_the_generated_client(
    generated: ModuleType, service_url: str, verifier: TokenVerifier
) -> None:
    m = _module("models")
    onboarding = {n: _module(f"api.onboarding.{n}") for n in ("step_one", "step_two", "complete", "get_profile")}
    campaigns = {
        n: _module(f"api.campaigns.{n}")
        for n in (
            "create_campaign",
            "list_campaigns",
            "update_campaign",
            "delete_campaign",
            "get_campaign",
            "list_creators",
            "decide",
            "campaign_creators_csv",
        )
    }
    jobs = {
        n: _module(f"api.jobs.{n}")
        for n in (
            "create_job",
            "get_job",
            "list_jobs",
            "search_jobs",
            "job_events",
            "job_creators",
            "export_creators",
            "cancel_job",
        )
    }
    token = verifier.issue("user_generated_client", email="brand@example.com")
    # One kept-alive connection for every request, streams and downloads included, as a browser would.
    client = generated.AuthenticatedClient(
        base_url=service_url,
        token=token,
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(60),
        httpx_args={"limits": httpx.Limits(max_connections=1)},
    )

    # Onboarding
    body = m.StepOne(full_name="Ada Lovelace", business_name="Analytical Engines")
    assert _ok(onboarding["step_one"].sync_detailed(client=client, body=body), 200).success is True
    body = m.StepTwo(brand_description="Computing machinery for the discerning creator")
    _ok(onboarding["step_two"].sync_detailed(client=client, body=body), 200)
    _ok(onboarding["complete"].sync_detailed(client=client), 200)
    profile = _ok(onboarding["get_profile"].sync_detailed(client=client), 200)
    assert isinstance(profile, m.Profile)
    assert profile.onboarding_step == m.ProfileOnboardingStep.COMPLETED
    assert profile.full_name == "Ada Lovelace"

    # Campaigns: create three, page through them by cursor, update one, delete one
    created = [
        _ok(
            campaigns["create_campaign"].sync_detailed(
                client=client, body=m.CampaignCreate(name=f"Launch {n}", search_type=m.CampaignCreateSearchType.KEYWORD)
            ),
            201,
        )
        for n in range(3)
    ]
    assert all(isinstance(c, m.Campaign) and isinstance(c.id, UUID) for c in created)
    first = _ok(campaigns["list_campaigns"].sync_detailed(client=client, limit=2, cursor=""), 200)
    assert isinstance(first, m.CampaignPage)
    assert first.pagination.total == 3
    assert isinstance(first.pagination.next_cursor, str)
    second = _ok(
        campaigns["list_campaigns"].sync_detailed(client=client, limit=2, cursor=first.pagination.next_cursor), 200
    )
    assert second.pagination.next_cursor is None
    listed = [c.id for c in first.campaigns + second.campaigns]
    assert sorted(listed) == sorted(c.id for c in created)
    renamed = _ok(
        campaigns["update_campaign"].sync_detailed(
            created[0].id, client=client, body=m.CampaignUpdate(name="Summer launch", description="Linen and sun")
        ),
        200,
    )
    assert (renamed.name, renamed.description) == ("Summer launch", "Linen and sun")
    deleted = _ok(campaigns["delete_campaign"].sync_detailed(created[2].id, client=client), 200)
    assert isinstance(deleted, m.Message)
    gone = campaigns["get_campaign"].sync_detailed(created[2].id, client=client)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, m.ErrorBody)

    # A search, followed to its end through the event stream
    campaign = created[0].id
    job = _ok(
        jobs["create_job"].sync_detailed(
            m.CreateJobPlatform.TIKTOK,
            client=client,
            body=m.JobCreate(campaign_id=campaign, keywords=["summer fashion"], target_results=40, region="gb"),
        ),
        201,
    )
    assert isinstance(job, m.JobStarted)
    assert job.job_id == job.id
    assert job.status == m.JobStatus.PENDING
    stream = _ok(jobs["job_events"].sync_detailed(job.id, client=client), 200)
    events = _server_sent_events(stream)
    assert events
    assert {name for name, _ in events} == {"progress"}
    progress = [m.Job.from_dict(json.loads(data)) for _, data in events]
    assert progress[-1].status == m.JobStatus.COMPLETED
    assert all(p.status != m.JobStatus.COMPLETED for p in progress[:-1])

    # The finished job, its creators page by page, and the CSV
    detail = _ok(jobs["get_job"].sync_detailed(job.id, client=client), 200)
    assert isinstance(detail, m.JobDetail)
    assert detail.results
    assert detail.aggregations.total_creators == sum(len(r.creators) for r in detail.results)
    found = detail.results[0].creators[0]
    assert isinstance(found, m.Creator)
    assert isinstance(found.creator.followers, int)
    assert isinstance(found.video.statistics.views, int)
    assert found.platform == m.CreatorPlatform("TikTok")
    pages, cursor = [], generated.types.UNSET
    while True:
        page = _ok(jobs["job_creators"].sync_detailed(job.id, client=client, limit=15, cursor=cursor), 200)
        assert isinstance(page, m.CreatorPage)
        pages.append(page.creators)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    creators = [c for p in pages for c in p]
    assert len(pages) > 1
    assert all(isinstance(c, m.CreatorWithEngagement) and c.engagement_rate >= 0 for c in creators)
    followers = [c.creator.followers for c in creators]
    assert followers == sorted(followers, reverse=True)
    export = _ok(jobs["export_creators"].sync_detailed(job.id, client=client), 200)
    rows = list(csv.reader(io.StringIO(export)))
    assert tuple(rows[0]) == COLUMNS
    assert {row[1] for row in rows[1:]} == {c.creator.handle for c in creators}

    # The campaign's creators: its list, a decision about one, and the list as CSV
    listed_creators = _ok(campaigns["list_creators"].sync_detailed(campaign, client=client, limit=200), 200)
    assert isinstance(listed_creators, m.CampaignCreatorPage)
    assert {c.creator.handle for c in listed_creators.creators} == {c.creator.handle for c in creators}
    chosen = listed_creators.creators[0]
    decision = m.CreatorDecision(status=m.CreatorDecisionStatusType0.SHORTLISTED, note="Great fit")
    decided = _ok(
        campaigns["decide"].sync_detailed(
            campaign, m.DecidePlatform.TIKTOK, chosen.creator.handle, client=client, body=decision
        ),
        200,
    )
    assert isinstance(decided, m.CampaignCreatorDetail)
    assert decided.status == m.CampaignCreatorDetailStatusType0.SHORTLISTED
    campaign_csv = _ok(
        campaigns["campaign_creators_csv"].sync_detailed(
            campaign, client=client, status=m.CampaignCreatorsCsvStatus.SHORTLISTED
        ),
        200,
    )
    shortlisted = list(csv.DictReader(io.StringIO(campaign_csv)))
    assert [(row["handle"], row["status"], row["note"]) for row in shortlisted] == [
        (chosen.creator.handle, "shortlisted", "Great fit")
    ]

    # Finding the job again: by keyword, and in the campaign's list
    matches = _ok(jobs["search_jobs"].sync_detailed(client=client, keyword="Summer Fashion"), 200)
    assert [j.id for j in matches.jobs] == [job.id]
    listing = _ok(jobs["list_jobs"].sync_detailed(client=client, campaign_id=campaign), 200)
    assert isinstance(listing, m.JobPage)
    assert [j.id for j in listing.jobs] == [job.id]

    # A long search, cancelled
    long = _ok(
        jobs["create_job"].sync_detailed(
            m.CreateJobPlatform.YOUTUBE,
            client=client,
            body=m.JobCreate(campaign_id=campaign, keywords=["linen"], target_results=10_000),
        ),
        201,
    )
    cancelled = _ok(
        jobs["cancel_job"].sync_detailed(long.id, client=client, body=m.JobAction(action=m.JobActionAction.CANCEL)),
        200,
    )
    assert cancelled.status == m.JobStatus.CANCELLED
    again = jobs["cancel_job"].sync_detailed(long.id, client=client, body=m.JobAction(action=m.JobActionAction.CANCEL))
    assert again.status_code == 409
    assert isinstance(again.parsed, m.ErrorBody)
