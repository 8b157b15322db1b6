-- Scraping jobs as users see them: create, read with results, cancel; and the
-- admin cleanup. Every user-facing query filters on :user_id.

-- name: create_job(user_id, campaign_id, search_type, platform, keywords, target_username, region, target_results, timeout_seconds)^
-- Create a pending job in the user's campaign if the campaign searches the way
-- the job does, activate a draft campaign, and wake a worker (the notification
-- is delivered when the transaction commits). Returns the campaign's search
-- type and the job as API JSON text (NULL when the types differ); no row when
-- the campaign is not the user's.
WITH campaign AS (
    SELECT id, search_type
    FROM campaigns
    WHERE id = :campaign_id AND user_id = :user_id
    FOR UPDATE
),
job AS (
    INSERT INTO scraping_jobs AS j (
        user_id, campaign_id, keywords, target_username, platform, region, target_results, timeout_at
    )
    SELECT
        :user_id,
        campaign.id,
        :keywords::jsonb,
        :target_username,
        :platform,
        :region,
        :target_results,
        now() + make_interval(secs => :timeout_seconds::double precision)
    FROM campaign
    WHERE campaign.search_type = :search_type
    RETURNING j
),
activated AS (
    UPDATE campaigns
    SET status = 'active', updated_at = now()
    WHERE id = (SELECT (job.j).campaign_id FROM job) AND status = 'draft'
)
SELECT
    campaign.search_type,
    (SELECT job_json(job.j)::text FROM job) AS job,
    (SELECT count(*) FROM (SELECT pg_notify('scraping_jobs', (job.j).id::text) FROM job) AS wake) AS woken
FROM campaign;

-- name: get_job_detail(user_id, job_id)$
-- A job with its result pages (in step order) and aggregations computed here,
-- as API JSON text; NULL when absent or not the user's.
-- Index: primary key, scraping_results_job_page_key.
SELECT (
    job_json(j) || jsonb_build_object(
        'results', coalesce(pages.list, '[]'::jsonb),
        'aggregations', jsonb_build_object(
            'totalResults', pages.total_results,
            'totalCreators', pages.total_creators,
            'averageCreatorsPerResult',
            CASE WHEN pages.total_results > 0 THEN round(pages.total_creators::numeric / pages.total_results, 2) ELSE 0 END
        )
    )
)::text
FROM scraping_jobs AS j
CROSS JOIN LATERAL (
    SELECT
        jsonb_agg(result_json(r) ORDER BY r.page) AS list,
        count(*) AS total_results,
        coalesce(sum(jsonb_array_length(r.creators)), 0) AS total_creators
    FROM scraping_results AS r
    WHERE r.job_id = j.id
) AS pages
WHERE j.id = :job_id AND j.user_id = :user_id;

-- name: get_job_progress(user_id, job_id)$
-- A job without its results, as API JSON text, for the progress event stream;
-- NULL when absent or not the user's. Index: primary key.
SELECT job_json(j)::text FROM scraping_jobs AS j WHERE j.id = :job_id AND j.user_id = :user_id;

-- name: cancel_job(user_id, job_id)^
-- Cancel a user's unfinished job; the worker's next step finds it cancelled and
-- writes nothing more. Returns the status the job had and, when it was
-- cancelled here, the job as API JSON text; no row when absent or not the user's.
WITH target AS (
    SELECT id, status FROM scraping_jobs WHERE id = :job_id AND user_id = :user_id FOR UPDATE
),
cancelled AS (
    UPDATE scraping_jobs AS j
    SET status = 'cancelled',
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
    (SELECT job_json(cancelled.j)::text FROM cancelled) AS job,
    (SELECT count(*) FROM (SELECT pg_notify('job_progress', (cancelled.j).id::text) FROM cancelled) AS n) AS notified
FROM target;

-- name: cleanup_jobs(status, older_than_days)^
-- Delete the finished jobs of one status created before the cutoff, with their
-- results, and count both. Runs as one statement: the results go first in a
-- sibling CTE, so the cascade from the jobs finds nothing left to do.
WITH cutoff AS (
    SELECT now() - make_interval(days => :older_than_days::integer) AS at
),
doomed AS (
    SELECT j.id
    FROM scraping_jobs AS j, cutoff
    WHERE j.status = :status AND j.created_at < cutoff.at
    FOR UPDATE OF j
),
deleted_results AS (
    DELETE FROM scraping_results WHERE job_id IN (SELECT id FROM doomed) RETURNING 1
),
deleted_jobs AS (
    DELETE FROM scraping_jobs WHERE id IN (SELECT id FROM doomed) RETURNING 1
)
SELECT
    (SELECT count(*) FROM deleted_jobs) AS deleted_jobs,
    (SELECT count(*) FROM deleted_results) AS deleted_results,
    (SELECT at FROM cutoff) AS cutoff_date;
