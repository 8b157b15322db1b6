"""The enumerated values the API, the worker and the database share.

The database holds the same lists as CHECK constraints (migrations/0001); the
API documents them through these Literals, so a client sees exactly what a
column accepts.
"""

from typing import Final, Literal, get_args

Platform = Literal["TikTok", "Instagram", "YouTube"]
PlatformSlug = Literal["tiktok", "instagram", "youtube"]
PLATFORM_BY_SLUG: Final[dict[PlatformSlug, Platform]] = {
    "tiktok": "TikTok",
    "instagram": "Instagram",
    "youtube": "YouTube",
}

SearchType = Literal["keyword", "similar"]

# The slugs of POST/GET /api/scraping/{slug}: the platform names, and the old
# frontend's names for a platform's keyword or similar search.
ScrapingSlug = Literal["tiktok", "instagram", "youtube", "instagram-hashtag", "tiktok-similar", "youtube-similar"]
SEARCH_BY_SLUG: Final[dict[ScrapingSlug, tuple[Platform, SearchType | None]]] = {
    "tiktok": ("TikTok", None),
    "instagram": ("Instagram", None),
    "youtube": ("YouTube", None),
    "instagram-hashtag": ("Instagram", "keyword"),
    "tiktok-similar": ("TikTok", "similar"),
    "youtube-similar": ("YouTube", "similar"),
}
"""Slug -> the platform, and the search type the slug stands for (None: the body decides)."""
CampaignStatus = Literal["draft", "active", "completed"]

FinishedJobStatus = Literal["completed", "error", "cancelled", "timeout"]
JobStatus = Literal["pending", "processing", FinishedJobStatus]
FINISHED_JOB_STATUSES: Final = frozenset(get_args(FinishedJobStatus))
"""A job in one of these is never written to again."""

CreatorStatus = Literal["shortlisted", "contacted", "replied", "declined", "hired"]
"""A brand's decision about a creator of its campaign (migration 0022's CHECK holds the same list)."""

StopReason = Literal["target_reached", "no_more_results", "budget_exhausted"]
"""Why a job completed (its `searchParams.stopReason`)."""
