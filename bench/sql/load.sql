-- The HTTP load harness's own statements: who the simulated users are, the
-- growth users, and cleaning up what the write benchmark created.

-- name: sample_load_targets(target_count)
-- A fixed sample of typical bench users, each with its newest job that has
-- results and the newest keyword it searched for (md5 order: spread over all users).
SELECT
    u.user_id,
    job.id AS job_id,
    word.keyword
FROM (
    SELECT user_id FROM campaigns
    WHERE user_id LIKE 'bench\_user\_%'
    GROUP BY user_id
    ORDER BY md5(user_id) LIMIT :target_count
) AS u
CROSS JOIN
    LATERAL (
        SELECT j.id FROM scraping_jobs AS j
        WHERE
            j.user_id = u.user_id
            AND EXISTS (
                SELECT FROM scraping_results AS r
                WHERE r.job_id = j.id
            )
        ORDER BY j.created_at DESC LIMIT 1
    ) AS job
CROSS JOIN
    LATERAL (
        SELECT k.keyword
        FROM scraping_jobs AS j
        CROSS JOIN LATERAL jsonb_array_elements_text(j.keywords) AS k (keyword)
        WHERE j.user_id = u.user_id AND j.keywords IS NOT NULL
        ORDER BY j.created_at DESC LIMIT 1
    ) AS word
ORDER BY u.user_id;

-- name: delete_load_campaigns(name)$
-- Remove the campaigns the write benchmark created (they all bear this name),
-- so that every run starts from the same dataset. Returns how many.
WITH gone AS (
    DELETE FROM campaigns
    WHERE name = :name AND user_id LIKE 'bench\_%'
    RETURNING 1
)

SELECT count(*) FROM gone;

-- name: count_user_campaigns(user_id)$
-- How many campaigns a user has.
SELECT count(*) FROM campaigns
WHERE user_id = :user_id;

-- name: generate_growth_user(user_id, campaign_count)!
-- campaign_count campaigns for user_id, created over the last year, each with
-- two finished jobs, for the list's growth curve.
WITH campaign AS (
    INSERT INTO campaigns (user_id, name, search_type, status, created_at, updated_at)
    SELECT
        :user_id,
        'Growth campaign ' || c,
        'keyword',
        'active',
        t.created AS created_at,
        t.created AS updated_at
    FROM generate_series(1, :campaign_count::integer) AS c
    CROSS JOIN LATERAL (SELECT now() - make_interval(secs => random() * 31536000 + c * 0) AS created) AS t
    RETURNING id, user_id, created_at
)

INSERT INTO scraping_jobs (
    user_id, campaign_id, keywords, platform, status, processed_results, progress, created_at, completed_at
)
SELECT
    campaign.user_id,
    campaign.id,
    jsonb_build_array('growth ' || j),
    'TikTok',
    'completed',
    40,
    100,
    campaign.created_at + make_interval(days => j),
    campaign.created_at + make_interval(days => j, mins => 3)
FROM campaign
CROSS JOIN generate_series(1, 2) AS j;

-- name: create_worker_database#
-- A database of its own for the worker benchmark, so its jobs never mix with the dataset.
CREATE DATABASE bench_worker;

-- name: drop_worker_database#
-- Remove the worker benchmark's database.
DROP DATABASE IF EXISTS bench_worker;

-- name: delete_user_campaigns(user_id)!
-- Remove a growth user's campaigns (and with them their jobs) before generating them again.
DELETE FROM campaigns
WHERE user_id = :user_id;

-- name: server_version()$
-- The server's version line, for the report.
SELECT version();

-- name: idle_in_transaction_sessions()$
-- Sessions of the service holding a transaction open while doing nothing (a
-- long response waiting on its client would show here). No index: a view.
-- not null
SELECT count(*) FROM pg_stat_activity
WHERE application_name = 'influencer-service' AND state LIKE 'idle in transaction%';
