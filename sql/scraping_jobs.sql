-- Scraping jobs as users see them: create, read with results, cancel; and the
-- admin cleanup. Every user-facing query filters on :user_id.

-- name: lock_job_creation(user_id)!
-- Make one user's job creations take turns until the transaction ends, so that
-- each counts the jobs the others committed (run it as its own statement:
-- the next statement's snapshot is taken after the lock is granted).
SELECT pg_advisory_xact_lock(hashtextextended('scraping_jobs:' || :user_id, 0));

-- name: create_job(user_id, campaign_id, search_type, platform, keywords, target_username, region, target_results, search_params, timeout_seconds, max_active_jobs, max_jobs_per_minute)^
-- Create a pending job in the user's campaign if the campaign searches the way
-- the job does and the user is within both limits (unfinished jobs, jobs
-- created in the last minute), activate a draft campaign, and wake a worker
-- (the notification is delivered when the transaction commits). Run after
-- lock_job_creation in the same transaction. Returns the campaign's search
-- type, the job as API JSON text with `jobId` (its id again) and `message`,
-- which the old frontend reads (NULL when not created), and which limit
-- refused it; no row when the campaign is not the user's.
-- Index: campaigns_pkey, scraping_jobs_user_created_idx (the counts).
-- nullable: keywords, target_username, search_params
-- not null: search_type, woken
WITH campaign AS (
    SELECT
        id,
        search_type
    FROM campaigns
    WHERE id = :campaign_id AND user_id = :user_id
    FOR UPDATE
),

usage AS (
    SELECT
        count(*) FILTER (WHERE j.status IN ('pending', 'processing')) AS active,
        count(*) FILTER (WHERE j.created_at > now() - interval '1 minute') AS last_minute
    FROM scraping_jobs AS j
    WHERE
        j.user_id = :user_id
        AND (j.status IN ('pending', 'processing') OR j.created_at > now() - interval '1 minute')
),

refusal AS (
    SELECT
        CASE
            WHEN usage.active >= :max_active_jobs THEN 'active_jobs'
            WHEN usage.last_minute >= :max_jobs_per_minute THEN 'rate'
        END AS reason
    FROM usage
),

job AS (
    INSERT INTO scraping_jobs AS j (
        user_id, campaign_id, keywords, target_username, platform, region, target_results, search_params, timeout_at
    )
    SELECT
        :user_id,
        campaign.id,
        :keywords::jsonb,
        :target_username,
        :platform,
        :region,
        :target_results,
        :search_params::jsonb,
        now() + make_interval(secs => :timeout_seconds::double precision)
    FROM campaign, refusal
    WHERE campaign.search_type = :search_type AND refusal.reason IS NULL
    RETURNING j
),

activated AS (
    UPDATE campaigns
    SET status = 'active', updated_at = now()
    WHERE id = (SELECT (job.j).campaign_id FROM job) AND status = 'draft'
)

SELECT
    campaign.search_type,
    (
        SELECT
            json_with(
                api_job(job.j),
                json_build_object('jobId', (job.j).id, 'message', 'Scraping job started successfully')
            )::text
        FROM job
    ) AS job,
    (SELECT reason FROM refusal) AS refused,
    (SELECT count(*) FROM (SELECT pg_notify('scraping_jobs', (job.j).id::text) FROM job) AS wake) AS woken
FROM campaign;

-- name: get_job_detail(user_id, job_id)$
-- A job with its result pages (in step order) and aggregations computed here,
-- as API JSON text; NULL when absent or not the user's.
-- Index: primary key, scraping_results_job_page_key.
SELECT
    json_with(
        api_job(j),
        json_build_object(
            'results', coalesce(pages.list, '[]'),
            'aggregations', api_aggregations(pages.total_results, pages.total_creators)
        )
    )::text
FROM scraping_jobs AS j
CROSS JOIN
    LATERAL (
        SELECT
            json_agg(api_result(r) ORDER BY r.page) AS list,
            count(*) AS total_results,
            coalesce(sum(jsonb_array_length(r.creators)), 0) AS total_creators
        FROM scraping_results AS r
        WHERE r.job_id = j.id
    ) AS pages
WHERE j.id = :job_id AND j.user_id = :user_id;

-- name: get_job_progress(user_id, job_id)$
-- A job without its results, as API JSON text, for the progress event stream;
-- NULL when absent or not the user's. Index: primary key.
SELECT api_job(j)::text FROM scraping_jobs AS j
WHERE j.id = :job_id AND j.user_id = :user_id;

-- name: cancel_job(user_id, job_id)^
-- Cancel a user's unfinished job; the worker's next step finds it cancelled and
-- writes nothing more. Returns the status the job had and, when it was
-- cancelled here, the job as API JSON text; no row when absent or not the user's.
-- not null: previous_status, notified
WITH target AS (
    SELECT
        id,
        status
    FROM scraping_jobs
    WHERE id = :job_id AND user_id = :user_id FOR UPDATE
),

cancelled AS (
    UPDATE scraping_jobs AS j
    SET
        status = 'cancelled',
        error = 'Job cancelled by user',
        completed_at = now(),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    FROM target
    WHERE j.id = target.id AND target.status IN ('pending', 'processing')
    RETURNING j
)

SELECT
    target.status AS previous_status,
    (SELECT api_job(cancelled.j)::text FROM cancelled) AS job,
    (SELECT count(*) FROM (SELECT pg_notify('job_progress', (cancelled.j).id::text) FROM cancelled) AS n) AS notified
FROM target;

-- name: cleanup_cutoff(older_than_days)$
-- The admin cleanup's cutoff: jobs created before it go. Read once, so that
-- every batch of one cleanup deletes against the same moment.
-- not null
SELECT now() - make_interval(days => :older_than_days::integer) AS cutoff_date;

-- name: cleanup_jobs_batch(status, cutoff, batch_size)^
-- Delete up to :batch_size finished jobs of one status created before the
-- cutoff, oldest first, with their results, and count both. Each batch is its
-- own short transaction; the caller repeats it until a batch comes back short.
-- The results go first in a sibling CTE, so the cascade from the jobs finds
-- nothing left to do.
-- Index: scraping_jobs_finished_created_idx, scraping_results_job_page_key.
-- one row
-- not null
WITH doomed AS (
    SELECT j.id
    FROM scraping_jobs AS j
    WHERE j.status = :status AND j.created_at < :cutoff
    ORDER BY j.created_at
    LIMIT :batch_size
    FOR UPDATE OF j
),

deleted_results AS (
    DELETE FROM scraping_results
    WHERE job_id IN (SELECT id FROM doomed) RETURNING 1
),

deleted_jobs AS (
    DELETE FROM scraping_jobs
    WHERE id IN (SELECT id FROM doomed) RETURNING 1
)

SELECT
    (SELECT count(*) FROM deleted_jobs) AS deleted_jobs,
    (SELECT count(*) FROM deleted_results) AS deleted_results;

-- name: list_jobs_page(user_id, status, platform, campaign_id, created_from, created_to, sort_by, descending, page_size, skip)^
-- One page of a user's jobs with optional filters (NULL: no filter) and a sort
-- column chosen from a whitelist by the handler, plus the total of matching
-- jobs, in one statement. Ties are broken newest first. Only the sort keys of
-- the matching jobs are kept while sorting; whole rows are read for the page.
-- Index: scraping_jobs_user_created_idx (the user's jobs), then the primary key.
-- one row
-- not null
WITH matching AS (
    SELECT
        j.id,
        j.created_at,
        CASE :sort_by::text
            WHEN 'createdAt' THEN extract(EPOCH FROM j.created_at)
            WHEN 'updatedAt' THEN extract(EPOCH FROM j.updated_at)
            WHEN 'processedResults' THEN j.processed_results
            WHEN 'progress' THEN j.progress
        END AS sort_value
    FROM scraping_jobs AS j
    WHERE
        j.user_id = :user_id
        AND (:status::text IS NULL OR j.status = :status)
        AND (:platform::text IS NULL OR j.platform = :platform)
        AND (:campaign_id::uuid IS NULL OR j.campaign_id = :campaign_id)
        AND (:created_from::timestamptz IS NULL OR j.created_at >= :created_from)
        AND (:created_to::timestamptz IS NULL OR j.created_at <= :created_to)
),

page AS (
    SELECT
        id,
        created_at,
        sort_value
    FROM matching
    ORDER BY
        CASE WHEN :descending::boolean THEN NULL ELSE sort_value END ASC,
        CASE WHEN :descending::boolean THEN sort_value END DESC,
        created_at DESC,
        id DESC
    LIMIT :page_size OFFSET :skip
)

SELECT
    (
        SELECT
            coalesce(
                json_agg(
                    api_job(j)
                    ORDER BY
                        CASE WHEN :descending::boolean THEN NULL ELSE page.sort_value END ASC,
                        CASE WHEN :descending::boolean THEN page.sort_value END DESC,
                        page.created_at DESC,
                        page.id DESC
                ),
                '[]'
            )
        FROM page
        INNER JOIN scraping_jobs AS j ON page.id = j.id
    )::text AS jobs,
    (SELECT count(*) FROM matching) AS total;

-- name: search_jobs_by_keyword(user_id, keyword, page_size)$
-- A user's newest jobs that have :keyword among their keywords, ignoring case,
-- as the API's {"jobs": [...]} JSON text. Index: scraping_jobs_keywords_gin.
-- not null
SELECT
    json_build_object(
        'jobs',
        coalesce(json_agg(api_job(found.j) ORDER BY (found.j).created_at DESC, (found.j).id DESC), '[]')
    )::text
FROM (
    SELECT j
    FROM scraping_jobs AS j
    WHERE lower(j.keywords::text)::jsonb ? lower(:keyword) AND j.user_id = :user_id
    ORDER BY j.created_at DESC, j.id DESC
    LIMIT :page_size
) AS found;

-- name: job_stats(user_id)$
-- Average, total and largest processed results, and counts by status and by
-- platform, over a user's jobs, in one pass, as API JSON text.
-- Index: scraping_jobs_user_created_idx.
-- not null
SELECT
    jsonb_build_object(
        'avgResults', coalesce(round(avg(j.processed_results), 2), 0),
        'totalResults', coalesce(sum(j.processed_results), 0),
        'maxResults', coalesce(max(j.processed_results), 0),
        'byStatus', jsonb_build_object(
            'pending', count(*) FILTER (WHERE j.status = 'pending'),
            'processing', count(*) FILTER (WHERE j.status = 'processing'),
            'completed', count(*) FILTER (WHERE j.status = 'completed'),
            'error', count(*) FILTER (WHERE j.status = 'error'),
            'cancelled', count(*) FILTER (WHERE j.status = 'cancelled'),
            'timeout', count(*) FILTER (WHERE j.status = 'timeout')
        ),
        'byPlatform', jsonb_build_object(
            'TikTok', count(*) FILTER (WHERE j.platform = 'TikTok'),
            'Instagram', count(*) FILTER (WHERE j.platform = 'Instagram'),
            'YouTube', count(*) FILTER (WHERE j.platform = 'YouTube')
        )
    )::text
FROM scraping_jobs AS j
WHERE j.user_id = :user_id;

-- name: get_polled_job(user_id, job_id)$
-- A job as the old frontend's polling reads it, as API JSON text; NULL when
-- absent or not the user's. Like get_job_detail, except that all result pages
-- are merged, in page order, into one result (the old worker kept a job's
-- creators in one row, and that code reads only results[0]), each creator
-- with the fields its pages read (api_polled_creator).
-- Index: primary key, scraping_results_job_page_key.
SELECT
    json_with(
        api_job(j),
        json_build_object(
            'results',
            CASE
                WHEN pages.total_results = 0 THEN '[]'::json
                ELSE json_build_array(json_build_object(
                    'id', pages.first_id,
                    'jobId', j.id,
                    'creators', merged.creators,
                    'createdAt', pages.first_created_at
                ))
            END,
            'aggregations', api_aggregations(pages.total_results, pages.total_creators)
        )
    )::text
FROM scraping_jobs AS j
CROSS JOIN
    LATERAL (
        SELECT
            (array_agg(r.id ORDER BY r.page))[1] AS first_id,
            min(r.created_at) AS first_created_at,
            count(*) AS total_results,
            coalesce(sum(jsonb_array_length(r.creators)), 0) AS total_creators
        FROM scraping_results AS r
        WHERE r.job_id = j.id
    ) AS pages
CROSS JOIN
    LATERAL (
        SELECT
            coalesce(
                json_agg(
                    api_polled_creator(e.entry, j.platform, j.target_username IS NOT NULL, r.page || '.' || e.position)
                    ORDER BY r.page, e.position
                ),
                '[]'
            ) AS creators
        FROM scraping_results AS r
        CROSS JOIN LATERAL jsonb_array_elements(r.creators) WITH ORDINALITY AS e (entry, position)
        WHERE r.job_id = j.id
    ) AS merged
WHERE j.id = :job_id AND j.user_id = :user_id;

-- name: list_campaign_job_ids(user_id, campaign_id)^
-- The ids of a user's campaign's jobs, oldest first (the campaign export goes
-- through them in that order); no row when the campaign is absent or not the
-- user's. Index: campaigns_pkey, scraping_jobs_campaign_created_idx.
-- not null
SELECT
    coalesce((
        SELECT array_agg(j.id ORDER BY j.created_at ASC, j.id ASC) FROM scraping_jobs AS j
        WHERE j.campaign_id = c.id
    ), '{}') AS job_ids
FROM campaigns AS c
WHERE c.id = :campaign_id AND c.user_id = :user_id;
