-- Campaigns: a user's searches for creators. Every query takes :user_id and
-- filters on it, so another user's campaign is simply not found.

-- name: create_campaign(user_id, name, description, search_type)$
-- Insert a draft campaign and return it as API JSON text.
-- nullable: description
-- not null
INSERT INTO campaigns AS c (user_id, name, description, search_type)
VALUES (:user_id, :name, :description, :search_type)
RETURNING api_campaign(c)::text;

-- name: list_campaigns_page(user_id, status, active_only, before_created_at, before_id, page_size, skip)^
-- One page of a user's campaigns, newest first, each with its most recent job
-- (as a one-element array), plus the total of campaigns matching the filters.
-- Offset pages pass :skip; keyset pages pass the previous page's last
-- (created_at, id), and NULLs there mean "from the newest". One row more than
-- the page is read to tell whether another page follows.
-- The total comes from campaign_counts (kept by triggers, migration 0007), one
-- row per status, except with :active_only, which has to look at the jobs.
-- Index: campaigns_user_created_idx (the keyset comparison is an index condition);
-- the latest job and the active-job filter use scraping_jobs_campaign_created_idx;
-- campaign_counts_pkey for the total.
-- one row
-- not null: campaigns, has_more, total
WITH lookahead AS (
    SELECT
        c AS campaign,
        c.created_at,
        c.id
    FROM campaigns AS c
    WHERE
        c.user_id = :user_id
        AND (c.created_at, c.id) < (
            coalesce(:before_created_at::timestamptz, 'infinity'),
            coalesce(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
        )
        AND (:status::text IS NULL OR c.status = :status)
        AND (NOT :active_only::boolean OR EXISTS (
            SELECT FROM scraping_jobs AS j
            WHERE j.campaign_id = c.id AND j.status IN ('pending', 'processing')
        ))
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT :page_size::integer + 1 OFFSET :skip
),

page AS (
    SELECT
        campaign,
        created_at,
        id
    FROM lookahead
    ORDER BY created_at DESC, id DESC
    LIMIT :page_size
),

last_row AS (
    SELECT
        created_at,
        id
    FROM page
    ORDER BY created_at, id LIMIT 1
)

SELECT
    (
        SELECT
            coalesce(
                json_agg(
                    json_with(api_campaign(p.campaign), json_build_object('scrapingJobs', coalesce(latest.jobs, '[]')))
                    ORDER BY p.created_at DESC, p.id DESC
                ),
                '[]'
            )
        FROM page AS p
        LEFT JOIN LATERAL (
            SELECT json_build_array(api_job(j)) AS jobs
            FROM scraping_jobs AS j
            WHERE j.campaign_id = p.id
            ORDER BY j.created_at DESC, j.id DESC
            LIMIT 1
        ) AS latest ON TRUE
    )::text AS campaigns,
    (SELECT count(*) FROM lookahead) > :page_size AS has_more,
    (SELECT created_at FROM last_row) AS last_created_at,
    (SELECT id FROM last_row) AS last_id,
    CASE
        WHEN :active_only::boolean
            THEN (
                SELECT count(*)
                FROM campaigns AS c
                WHERE
                    c.user_id = :user_id
                    AND (:status::text IS NULL OR c.status = :status)
                    AND EXISTS (
                        SELECT FROM scraping_jobs AS j
                        WHERE j.campaign_id = c.id AND j.status IN ('pending', 'processing')
                    )
            )
        ELSE (
            SELECT coalesce(sum(cc.campaigns), 0)::bigint
            FROM campaign_counts AS cc
            WHERE cc.user_id = :user_id AND (:status::text IS NULL OR cc.status = :status)
        )
    END AS total;

-- name: get_campaign_detail(user_id, campaign_id)$
-- A campaign with all its jobs (newest first), each with its result pages
-- (oldest first), as API JSON text; NULL when absent or not the user's.
-- Index: primary key, scraping_jobs_campaign_created_idx, scraping_results_job_page_key.
SELECT json_with(api_campaign(c), json_build_object('scrapingJobs', coalesce(jobs.list, '[]')))::text
FROM campaigns AS c
LEFT JOIN LATERAL (
    SELECT
        json_agg(
            json_with(api_job(j), json_build_object('results', coalesce(results.list, '[]')))
            ORDER BY j.created_at DESC, j.id DESC
        ) AS list
    FROM scraping_jobs AS j
    LEFT JOIN LATERAL (
        SELECT json_agg(api_result(r) ORDER BY r.page) AS list
        FROM scraping_results AS r
        WHERE r.job_id = j.id
    ) AS results ON TRUE
    WHERE j.campaign_id = c.id
) AS jobs ON TRUE
WHERE c.id = :campaign_id AND c.user_id = :user_id;

-- name: update_campaign(user_id, campaign_id, name, description, set_description, status)$
-- Change the given fields of a user's campaign (NULL name or status: unchanged;
-- description changes only when :set_description, so it can be cleared).
-- Returns the campaign as API JSON text, or NULL when absent or not the user's.
-- nullable: description
UPDATE campaigns AS c
SET
    name = coalesce(:name, c.name),
    description = CASE WHEN :set_description::boolean THEN :description ELSE c.description END,
    status = coalesce(:status, c.status),
    updated_at = now()
WHERE c.id = :campaign_id AND c.user_id = :user_id
RETURNING api_campaign(c)::text;

-- name: delete_campaign(user_id, campaign_id)$
-- Delete a user's campaign; its jobs and their results go with it through the
-- ON DELETE CASCADE foreign keys, in this one statement. Returns the id or NULL.
DELETE FROM campaigns
WHERE id = :campaign_id AND user_id = :user_id
RETURNING id;

-- name: campaign_stats(user_id)$
-- Campaign counts by status, and per campaign its job count, average results
-- and latest job time and its creators by status, most recently active
-- first, as API JSON text.
-- Index: campaigns_user_created_idx, scraping_jobs_campaign_created_idx,
-- campaign_creators_status_idx.
-- not null
SELECT jsonb_build_object(
    'byStatus', (
        SELECT
            jsonb_build_object(
                'draft', count(*) FILTER (WHERE c.status = 'draft'),
                'active', count(*) FILTER (WHERE c.status = 'active'),
                'completed', count(*) FILTER (WHERE c.status = 'completed')
            )
        FROM campaigns AS c
        WHERE c.user_id = :user_id
    ),
    'campaigns', (
        SELECT
            coalesce(
                jsonb_agg(
                    jsonb_build_object(
                        'campaignId', c.id,
                        'campaignName', c.name,
                        'totalJobs', s.total_jobs,
                        'avgResults', s.avg_results,
                        'latestJob', s.latest_job,
                        'creatorsByStatus', (
                            SELECT
                                jsonb_build_object(
                                    'shortlisted', count(*) FILTER (WHERE cc.status = 'shortlisted'),
                                    'contacted', count(*) FILTER (WHERE cc.status = 'contacted'),
                                    'replied', count(*) FILTER (WHERE cc.status = 'replied'),
                                    'declined', count(*) FILTER (WHERE cc.status = 'declined'),
                                    'hired', count(*) FILTER (WHERE cc.status = 'hired')
                                )
                            FROM campaign_creators AS cc
                            WHERE cc.campaign_id = c.id AND cc.status IS NOT NULL
                        )
                    )
                    ORDER BY s.latest_job DESC NULLS LAST, c.created_at DESC, c.id DESC
                ),
                '[]'::jsonb
            )
        FROM campaigns AS c
        CROSS JOIN
            LATERAL (
                SELECT
                    count(*) AS total_jobs,
                    coalesce(round(avg(j.processed_results), 2), 0) AS avg_results,
                    max(j.created_at) AS latest_job
                FROM scraping_jobs AS j
                WHERE j.campaign_id = c.id
            ) AS s
        WHERE c.user_id = :user_id
    )
)::text;
