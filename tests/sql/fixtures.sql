-- Queries used only by the tests: inserting fixture rows that no route creates
-- yet, and reading rows back to assert on them.

-- name: insert_result_fixture(job_id, page, creators)!
-- One result page of a job.
INSERT INTO scraping_results (job_id, page, creators) VALUES (:job_id, :page, :creators);

-- name: snapshot_campaign(campaign_id)$
-- Everything stored about a campaign, its jobs, results and creators, for before/after comparisons.
SELECT jsonb_build_object(
    'campaign', (
        SELECT to_jsonb(c) FROM campaigns AS c
        WHERE c.id = :campaign_id
    ),
    'jobs', (
        SELECT coalesce(jsonb_agg(to_jsonb(j) ORDER BY j.id), '[]')
        FROM scraping_jobs AS j
        WHERE j.campaign_id = :campaign_id
    ),
    'results', (
        SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.id), '[]')
        FROM scraping_results AS r
        INNER JOIN scraping_jobs AS j ON r.job_id = j.id
        WHERE j.campaign_id = :campaign_id
    ),
    'creators', (
        SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.creator_key), '[]')
        FROM campaign_creators AS c
        WHERE c.campaign_id = :campaign_id
    ),
    'creatorChanges', (
        SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.id), '[]')
        FROM campaign_creator_changes AS h
        WHERE h.campaign_id = :campaign_id
    )
)::text;

-- name: count_user_rows(user_id)^
-- How many campaigns, jobs and results a user has.
SELECT
    (
        SELECT count(*) FROM campaigns
        WHERE user_id = :user_id
    ) AS campaigns,
    (
        SELECT count(*) FROM scraping_jobs
        WHERE user_id = :user_id
    ) AS jobs,
    (
        SELECT count(*) FROM scraping_results AS r
        INNER JOIN scraping_jobs AS j ON r.job_id = j.id
        WHERE j.user_id = :user_id
    ) AS results;

-- name: campaign_count_drift(user_id)
-- Statuses whose kept count (campaign_counts) differs from a user's rows.
SELECT
    coalesce(kept.status, actual.status) AS status,
    coalesce(kept.campaigns, 0) AS kept,
    coalesce(actual.campaigns, 0) AS actual
FROM (
    SELECT
        status,
        campaigns
    FROM campaign_counts
    WHERE user_id = :user_id
) AS kept
FULL JOIN (
    SELECT
        status,
        count(*) AS campaigns
    FROM campaigns
    WHERE user_id = :user_id
    GROUP BY status
) AS actual ON kept.status = actual.status
WHERE coalesce(kept.campaigns, 0) <> coalesce(actual.campaigns, 0);

-- name: found_creators_drift(job_id)
-- Creators on which found_creators (kept by triggers) and the same rules
-- (derived from the job's pages on the spot) disagree.
SELECT coalesce(kept.creator_key, derived.creator_key) AS creator_key
FROM (
    SELECT
        f.creator_key,
        f.followers,
        f.engagement_rate,
        (r.creators -> (f.position - 1)) || jsonb_build_object('engagementRate', f.engagement_rate) AS creator
    FROM found_creators AS f
    INNER JOIN scraping_results AS r ON f.job_id = r.job_id AND f.page = r.page
    WHERE f.job_id = :job_id
) AS kept
FULL JOIN (
    -- The rules of migration 0008 derived again from the pages, independently of the triggers:
    -- each creator (platform + handle, ignoring case; the name without a handle) as last seen.
    SELECT
        latest.creator_key,
        measured.engagement_rate,
        json_number(latest.entry #> '{creator,followers}') AS followers,
        latest.entry || jsonb_build_object('engagementRate', measured.engagement_rate) AS creator
    FROM (
        SELECT DISTINCT ON (sighting.creator_key)
            sighting.creator_key,
            sighting.entry
        FROM (
            SELECT
                c.entry,
                r.page,
                c.position,
                coalesce(c.entry ->> 'platform', '') || ':' || lower(coalesce(
                    nullif(c.entry #>> '{creator,handle}', ''), c.entry #>> '{creator,name}', ''
                )) AS creator_key
            FROM scraping_results AS r
            CROSS JOIN LATERAL jsonb_array_elements(r.creators) WITH ORDINALITY AS c (entry, position)
            WHERE r.job_id = :job_id
        ) AS sighting
        ORDER BY sighting.creator_key ASC, sighting.page DESC, sighting.position DESC
    ) AS latest
    CROSS JOIN LATERAL (
        SELECT
            CASE
                WHEN json_number(latest.entry #> '{video,statistics,views}') > 0
                    THEN
                        round(
                            (
                                json_number(latest.entry #> '{video,statistics,likes}')
                                + json_number(latest.entry #> '{video,statistics,comments}')
                                + json_number(latest.entry #> '{video,statistics,shares}')
                            ) / json_number(latest.entry #> '{video,statistics,views}'),
                            4
                        )
                ELSE 0
            END AS engagement_rate
    ) AS measured
) AS derived ON kept.creator_key = derived.creator_key
WHERE
    kept.creator IS DISTINCT FROM derived.creator
    OR kept.followers IS DISTINCT FROM derived.followers
    OR kept.engagement_rate IS DISTINCT FROM derived.engagement_rate;

-- name: count_found_creators(job_id)$
-- How many creators found_creators holds for a job.
SELECT count(*) FROM found_creators
WHERE job_id = :job_id;

-- name: delete_result_page(job_id, page)!
-- Remove one stored page by hand, as an operator might.
DELETE FROM scraping_results
WHERE job_id = :job_id AND page = :page;

-- name: replace_result_page(job_id, page, creators)!
-- Overwrite one stored page by hand, as an operator might.
UPDATE scraping_results SET creators = :creators
WHERE job_id = :job_id AND page = :page;

-- name: complete_campaigns_named(name)!
-- Mark campaigns completed behind the API's back (migration tests).
UPDATE campaigns SET status = 'completed'
WHERE name = :name;

-- name: invalid_indexes()
-- Indexes that a failed concurrent build left unusable.
SELECT indexrelid::regclass::text AS name FROM pg_index
WHERE NOT indisvalid;

-- name: user_tables()
-- Tables of the public schema, for checking that a rollback removes everything.
SELECT tablename FROM pg_tables
WHERE schemaname = 'public' AND tablename NOT LIKE '%yoyo%'
ORDER BY tablename;

-- name: email_state(user_id, email_type)$
-- The delivery state of one email of a user.
SELECT email_schedule_status -> :email_type::text FROM user_profiles
WHERE user_id = :user_id;

-- name: make_email_due_now(user_id, email_type)!
-- Fast-forward an email: its retry time and its lease are over.
UPDATE user_profiles
SET
    email_schedule_status = jsonb_set(
        email_schedule_status,
        ARRAY[:email_type::text],
        (email_schedule_status -> :email_type::text)
        || jsonb_build_object('nextAttemptAt', now() - interval '1 second', 'leaseUntil', now() - interval '1 second')
    )
WHERE user_id = :user_id;

-- name: store_raw_config(category, key, value, value_type, is_hot_reloadable)!
-- A configuration row as is, bypassing the admin API's validation.
INSERT INTO system_configurations (category, key, value, value_type, is_hot_reloadable)
VALUES (:category, :key, :value, :value_type, :is_hot_reloadable)
ON CONFLICT (category, key) DO UPDATE
    SET value = excluded.value, value_type = excluded.value_type, is_hot_reloadable = excluded.is_hot_reloadable;

-- name: count_profiles(user_id)$
-- How many profiles a user has (at most one, by the unique constraint).
SELECT count(*) FROM user_profiles
WHERE user_id = :user_id;

-- name: job_row(job_id)^
-- The internal columns of a job (lease, attempts) that the API does not show.
SELECT
    status,
    locked_by,
    locked_until,
    attempts,
    next_attempt_at,
    cursor,
    processed_runs,
    progress
FROM scraping_jobs
WHERE id = :job_id;

-- name: job_pages(job_id)
-- A job's stored pages in order, with their creators.
SELECT
    page,
    creators
FROM scraping_results
WHERE job_id = :job_id
ORDER BY page;

-- name: age_job(job_id, days)!
-- Pretend a job was created some days ago (for cleanup).
UPDATE scraping_jobs SET created_at = now() - make_interval(days => :days::integer)
WHERE id = :job_id;

-- name: expire_job(job_id)!
-- Move a job's time limit into the past.
UPDATE scraping_jobs SET timeout_at = now() - interval '1 second'
WHERE id = :job_id;

-- name: job_owner(job_id)$
-- The user a job belongs to.
SELECT user_id FROM scraping_jobs
WHERE id = :job_id;

-- name: insert_job_row(user_id, campaign_id, keywords, platform, status, processed_results, progress, created_at)$
-- A job with chosen values (created now unless :created_at is given), for
-- listing, sorting and statistics tests; it was last updated
-- (100 - processed_results) hours after its creation.
INSERT INTO scraping_jobs (
    user_id, campaign_id, keywords, platform, status, processed_results, progress, created_at, updated_at
)
VALUES (
    :user_id, :campaign_id, :keywords, :platform, :status, :processed_results, :progress,
    coalesce(:created_at::timestamptz, now()),
    coalesce(:created_at::timestamptz, now()) + make_interval(hours => 100 - :processed_results::integer)
)
RETURNING id;

-- name: job_run_id(job_id)$
-- The worker slot that last claimed a job.
SELECT run_id FROM scraping_jobs
WHERE id = :job_id;

-- name: add_big_job(user_id, campaign_id, pages, creators_per_page)$
-- A completed job with pages x creators_per_page distinct creators (a heavy job detail).
WITH job AS (
    INSERT INTO scraping_jobs (user_id, campaign_id, keywords, platform, status, processed_results)
    VALUES (:user_id, :campaign_id, '["big"]', 'TikTok', 'completed', :pages::integer * :creators_per_page::integer)
    RETURNING id
),

pages AS (
    INSERT INTO scraping_results (job_id, page, creators)
    SELECT
        job.id,
        p.n,
        (
            SELECT
                jsonb_agg(jsonb_build_object(
                    'creator', jsonb_build_object('handle', 'h' || p.n || '_' || i, 'followers', i),
                    'video', jsonb_build_object('statistics', jsonb_build_object('views', 100, 'likes', i)),
                    'platform', 'TikTok'
                ))
            FROM generate_series(1, :creators_per_page::integer) AS i
        )
    FROM job CROSS JOIN generate_series(0, :pages::integer - 1) AS p (n)
)

SELECT id FROM job;

-- name: plan_cache_mode()$
-- The session's plan_cache_mode setting.
SELECT current_setting('plan_cache_mode');

-- name: functions_named(names)
-- Which of these functions exist in the public schema, by name.
SELECT p.proname
FROM pg_proc AS p
INNER JOIN pg_namespace AS n ON p.pronamespace = n.oid
WHERE n.nspname = 'public' AND p.proname = any(:names::text[])
ORDER BY p.proname;

-- name: job_retry_state(job_id)^
-- A job's failed attempts and how long until its next one.
SELECT
    attempts,
    extract(EPOCH FROM next_attempt_at - now()) AS retry_in_seconds
FROM scraping_jobs
WHERE id = :job_id;

-- name: delete_job(job_id)!
-- Delete one job (its pages go with it), as the admin cleanup or a campaign delete would.
DELETE FROM scraping_jobs
WHERE id = :job_id;

-- name: campaign_creators_drift(campaign_id)
-- Creators on which campaign_creators (kept by triggers) and the same rules
-- derived from found_creators on the spot disagree: which searches found each
-- creator, and the latest sighting.
SELECT coalesce(kept.creator_key, derived.creator_key) AS creator_key
FROM (
    SELECT
        c.creator_key,
        c.job_ids,
        c.job_id,
        c.page,
        c.position,
        c.followers
    FROM campaign_creators AS c
    WHERE c.campaign_id = :campaign_id
) AS kept
FULL JOIN (
    SELECT
        f.creator_key,
        array_agg(f.job_id ORDER BY f.job_id) AS job_ids,
        (array_agg(f.job_id ORDER BY r.created_at DESC, f.job_id DESC))[1] AS job_id,
        (array_agg(f.page ORDER BY r.created_at DESC, f.job_id DESC))[1] AS page,
        (array_agg(f.position ORDER BY r.created_at DESC, f.job_id DESC))[1] AS position,
        (array_agg(f.followers ORDER BY r.created_at DESC, f.job_id DESC))[1] AS followers
    FROM found_creators AS f
    INNER JOIN scraping_jobs AS j ON f.job_id = j.id
    INNER JOIN scraping_results AS r ON f.job_id = r.job_id AND f.page = r.page
    WHERE j.campaign_id = :campaign_id
    GROUP BY f.creator_key
) AS derived ON kept.creator_key = derived.creator_key
WHERE
    kept.job_ids IS DISTINCT FROM derived.job_ids
    OR kept.job_id IS DISTINCT FROM derived.job_id
    OR kept.page IS DISTINCT FROM derived.page
    OR kept.position IS DISTINCT FROM derived.position
    OR kept.followers IS DISTINCT FROM derived.followers;

-- name: advance_job(job_id, status, processed_results, progress)!
-- Move a job on as a worker would (its pages are stored apart); a finished
-- status also sets completed_at.
UPDATE scraping_jobs
SET
    status = :status,
    processed_results = :processed_results,
    progress = :progress,
    started_at = coalesce(started_at, now()),
    completed_at = CASE WHEN :status IN ('completed', 'error', 'cancelled', 'timeout') THEN now() END,
    updated_at = now()
WHERE id = :job_id;

-- name: polled_creator(entry, is_similar)$
-- One creator entry of a YouTube job as the polling route shapes it (api_polled_creator, migration 0020).
SELECT api_polled_creator(:entry::jsonb, 'YouTube', :is_similar, '0.1')::text;

-- name: seconds_until_retry(job_id)$
-- How long until a job may be claimed again (its retry time), in seconds.
SELECT extract(EPOCH FROM next_attempt_at - now())::double precision FROM scraping_jobs
WHERE id = :job_id;

-- name: seconds_provider_paused(provider)$
-- How long calls to a provider stay paused (a 429's Retry-After), in seconds.
SELECT extract(EPOCH FROM paused_until - now())::double precision FROM provider_call_limits
WHERE provider = :provider;

-- name: let_time_pass(job_id, provider)!
-- Pretend a job's retry time and its provider's pause have passed.
WITH job AS (
    UPDATE scraping_jobs SET next_attempt_at = now()
    WHERE id = :job_id
)

UPDATE provider_call_limits SET paused_until = NULL
WHERE provider = :provider;

-- name: cancel_unfinished_jobs()!
-- End every job still waiting or running (so a test's leftovers are not worked on by the next).
UPDATE scraping_jobs SET status = 'cancelled', locked_by = NULL, locked_until = NULL
WHERE status IN ('pending', 'processing');

-- name: idle_in_transaction_sessions()$
-- Sessions of the service in this database holding a transaction open while
-- doing nothing (a long response waiting on its client would show here).
SELECT count(*) FROM pg_stat_activity
WHERE
    datname = current_database()
    AND application_name = 'influencer-service'
    AND state LIKE 'idle in transaction%';
