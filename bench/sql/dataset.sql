-- A realistic dataset for benchmarks, generated in PostgreSQL. Every bench row
-- belongs to a user named bench_user_<n>, so the dataset can sit beside other data.

-- name: count_bench_campaigns()$
-- How many campaigns the dataset already has (0: not generated yet).
SELECT count(*) FROM campaigns
WHERE user_id LIKE 'bench\_user\_%';

-- name: generate_campaigns(users, campaigns_per_user)!
-- campaigns_per_user campaigns for each of `users` users, created over the last year.
INSERT INTO campaigns (user_id, name, description, search_type, status, created_at, updated_at)
SELECT
    'bench_user_' || u,
    'Campaign ' || c || ' of user ' || u,
    CASE WHEN c % 3 = 0 THEN 'Finding creators for launch ' || c END,
    CASE WHEN c % 5 = 0 THEN 'similar' ELSE 'keyword' END,
    (ARRAY['draft', 'active', 'completed'])[1 + (u + c) % 3],
    created AS created_at,
    created AS updated_at
FROM generate_series(1, :users) AS u
CROSS JOIN generate_series(1, :campaigns_per_user) AS c
-- Mentioning u and c makes the subquery run once per row (one random time each).
CROSS JOIN LATERAL (SELECT now() - make_interval(secs => random() * 31536000 + u * 0 + c * 0) AS created) AS t;

-- name: generate_jobs(jobs_per_campaign)!
-- jobs_per_campaign jobs in each bench campaign: mostly finished, a few still
-- running; keyword jobs have 1 to 3 keywords from a vocabulary of 48 words.
INSERT INTO scraping_jobs (
    user_id, campaign_id, keywords, target_username, platform, region, target_results, status,
    processed_runs, processed_results, progress, cursor, timeout_at, created_at, started_at, completed_at, updated_at
)
SELECT
    c.user_id,
    c.id,
    CASE WHEN c.search_type = 'keyword' THEN (
        SELECT jsonb_agg(words[1 + (abs(hashtextextended(c.id::text || j || k, 0)) % 48)::integer])
        FROM generate_series(1, 1 + (j % 3)) AS k
    ) END,
    CASE WHEN c.search_type = 'similar' THEN 'creator_' || (abs(hashtext(c.id::text)) % 5000) END,
    (ARRAY['TikTok', 'Instagram', 'YouTube'])[1 + j % 3],
    'US',
    100,
    state.status,
    CASE WHEN state.status = 'pending' THEN 0 ELSE 2 END,
    CASE WHEN state.status = 'pending' THEN 0 ELSE 40 END,
    CASE WHEN state.status = 'completed' THEN 100 WHEN state.status = 'pending' THEN 0 ELSE 40 END,
    CASE WHEN state.status = 'pending' THEN 0 ELSE 2 END,
    c.created_at + interval '30 minutes' + make_interval(days => j),
    c.created_at + make_interval(days => j),
    c.created_at + make_interval(days => j, secs => 5),
    CASE
        WHEN state.status IN ('pending', 'processing') THEN NULL ELSE c.created_at + make_interval(days => j, mins => 3)
    END,
    c.created_at + make_interval(days => j, mins => 3)
FROM campaigns AS c
CROSS JOIN generate_series(1, :jobs_per_campaign) AS j
CROSS JOIN
    LATERAL (
        SELECT
            CASE
                WHEN r < 0.003 THEN 'pending'
                WHEN r < 0.006 THEN 'processing'
                WHEN r < 0.06 THEN 'error'
                WHEN r < 0.09 THEN 'cancelled'
                WHEN r < 0.10 THEN 'timeout'
                ELSE 'completed'
            END AS status
        FROM (SELECT random() + j * 0 AS r) AS roll  -- j makes it one roll per row
    ) AS state
CROSS JOIN (
    SELECT ARRAY[
        'fashion', 'Summer Fashion', 'fitness', 'home workouts', 'beauty', 'skincare', 'makeup', 'food',
        'vegan', 'baking', 'travel', 'van life', 'tech', 'gadgets', 'gaming', 'music', 'dance', 'comedy',
        'pets', 'dogs', 'cats', 'parenting', 'finance', 'investing', 'crypto', 'education', 'books', 'art',
        'diy', 'home decor', 'gardening', 'cars', 'sneakers', 'streetwear', 'yoga', 'running', 'cycling',
        'football', 'basketball', 'photography', 'coffee', 'wine', 'cocktails', 'hiking', 'camping',
        'sustainability', 'thrifting', 'luxury'
    ] AS words
) AS vocabulary
WHERE c.user_id LIKE 'bench\_user\_%';

-- name: generate_results(job_every, pages_per_job, creators_per_page)!
-- For every job_every-th bench job that ran, pages_per_job result pages of
-- creators_per_page creators each (with overlaps between pages, as real searches have).
INSERT INTO scraping_results (job_id, page, creators, created_at)
SELECT
    j.id,
    p,
    (
        SELECT
            jsonb_agg(jsonb_build_object(
                'creator', jsonb_build_object(
                    'name', 'Creator ' || n,
                    'handle', 'creator_' || n,
                    'followers', (1000 / power(1 - random() * 0.999, 1 / 1.2))::bigint,
                    'avatarUrl', 'https://images.example/' || n || '.jpg',
                    'bio',
                    'Creating content about '
                    || j.platform
                    || CASE WHEN n % 3 = 0 THEN ' | creator' || n || '@mail.example' ELSE '' END,
                    'emails',
                    CASE WHEN n % 3 = 0 THEN jsonb_build_array('creator' || n || '@mail.example') ELSE '[]'::jsonb END
                ),
                'video', jsonb_build_object(
                    'description', 'Video ' || n,
                    'url', 'https://video.example/' || j.id || '/' || p || '/' || i,
                    'statistics', jsonb_build_object(
                        'likes', (random() * 5000)::integer, 'comments', (random() * 300)::integer,
                        'shares', (random() * 100)::integer, 'views', (1000 + random() * 100000)::integer
                    )
                ),
                'hashtags', jsonb_build_array('#fyp', '#' || (n % 40)),
                'platform', j.platform
            ))
        FROM generate_series(1, :creators_per_page) AS i
        CROSS JOIN LATERAL (SELECT abs(hashtext(j.id::text || p || i)) % 200000 AS n) AS who
    ),
    j.started_at + make_interval(secs => p * 10)
FROM (
    SELECT
        id,
        platform,
        started_at,
        row_number() OVER (ORDER BY id) AS position
    FROM scraping_jobs
    WHERE user_id LIKE 'bench\_user\_%' AND status <> 'pending'
) AS j
CROSS JOIN generate_series(0, :pages_per_job - 1) AS p
WHERE j.position % :job_every = 0;

-- name: generate_big_job(user_id, pages, creators_per_page, bio_length)$
-- One completed job of user_id (in its newest campaign) with pages x creators_per_page
-- distinct creators, each bio padded with bio_length characters (real bios make a
-- CSV row several hundred bytes), for export measurements. Returns its id.
WITH job AS (
    INSERT INTO scraping_jobs (
        user_id, campaign_id, keywords, platform, target_results, status, processed_runs,
        processed_results, progress, cursor, completed_at
    )
    SELECT
        c.user_id,
        c.id,
        '["big export"]',
        'TikTok',
        10000,
        'completed',
        :pages::integer,
        :pages::integer * :creators_per_page::integer,
        100,
        :pages::integer,
        now()
    FROM campaigns AS c
    WHERE c.user_id = :user_id
    ORDER BY c.created_at DESC LIMIT 1
    RETURNING id
),

pages AS (
    INSERT INTO scraping_results (job_id, page, creators)
    SELECT
        job.id,
        p,
        (
            SELECT
                jsonb_agg(jsonb_build_object(
                    'creator', jsonb_build_object(
                        'name', 'Big ' || p || '-' || i, 'handle', 'big_' || p || '_' || i,
                        'followers', 1000 + p * 10 + i, 'emails', '[]'::jsonb,
                        'bio', 'bio ' || p || repeat('.', :bio_length::integer)
                    ),
                    'video', jsonb_build_object(
                        'url', 'https://video.example/big/' || p || '/' || i,
                        'statistics', jsonb_build_object('likes', i, 'comments', 1, 'shares', 1, 'views', 1000)
                    ),
                    'hashtags', '["#big"]'::jsonb, 'platform', 'TikTok'
                ))
            FROM generate_series(1, :creators_per_page::integer) AS i
        )
    FROM job CROSS JOIN generate_series(0, :pages::integer - 1) AS p
)

SELECT id FROM job;

-- name: analyze_tables#
-- Fresh planner statistics and visibility map after the bulk load, as
-- autovacuum would leave them: without the map, index-only scans (the
-- campaigns page's total) visit the table for every row.
VACUUM (ANALYZE) campaigns, campaign_counts, scraping_jobs, scraping_results, found_creators, campaign_creators,
user_profiles;

-- name: index_sizes()
-- Every index of the application tables with its size.
SELECT
    indexrelid::regclass::text AS index_name,
    indrelid::regclass::text AS table_name,
    pg_relation_size(indexrelid) AS bytes
FROM pg_index
WHERE
    indrelid::regclass::text IN (
        'campaigns', 'campaign_counts', 'scraping_jobs', 'scraping_results', 'found_creators',
        'campaign_creators',
        'campaign_creator_changes',
        'user_profiles',
        'system_configurations',
        'search_jobs',
        'search_results'
    )
ORDER BY bytes DESC;

-- name: table_sizes()
-- Rows and total size (with TOAST and indexes) of the large tables.
SELECT
    relname AS table_name,
    n_live_tup AS rows,
    pg_total_relation_size(relid) AS bytes
FROM pg_stat_user_tables
WHERE relname IN ('campaigns', 'campaign_counts', 'scraping_jobs', 'scraping_results', 'found_creators')
ORDER BY relname;

-- name: sample_ids()^
-- Typical parameters: a bench user, one of its campaigns, and one of its jobs with results.
SELECT
    j.user_id,
    j.campaign_id,
    j.id AS job_id
FROM scraping_jobs AS j
WHERE
    j.user_id = 'bench_user_1000' AND EXISTS (
        SELECT FROM scraping_results AS r
        WHERE r.job_id = j.id
    )
ORDER BY j.created_at DESC
LIMIT 1;

-- name: generate_heavy_user(campaigns, jobs_per_campaign)!
-- bench_heavy_user: one user with very many keyword jobs (and no results), to
-- show the plans for a user far above the typical hundred jobs.
WITH campaign AS (
    INSERT INTO campaigns (user_id, name, search_type, status)
    SELECT
        'bench_heavy_user',
        'Heavy campaign ' || c,
        'keyword',
        'active'
    FROM generate_series(1, :campaigns) AS c
    RETURNING id, user_id
)

INSERT INTO scraping_jobs (user_id, campaign_id, keywords, platform, status, processed_results, progress, created_at)
SELECT
    campaign.user_id,
    campaign.id,
    jsonb_build_array(CASE WHEN j % 500 = 0 THEN 'rare niche' ELSE 'common topic ' || (j % 7) END),
    'TikTok',
    'completed',
    40,
    100,
    now() - make_interval(mins => j)
FROM campaign
CROSS JOIN generate_series(1, :jobs_per_campaign) AS j;

-- name: find_big_job(user_id, creators)$
-- The export job of user_id with exactly this many creators, if generated before.
SELECT id FROM scraping_jobs
WHERE user_id = :user_id AND processed_results = :creators AND keywords = '["big export"]';

-- name: explain_executions#
-- From here on, this session sends the plan of every statement it executes,
-- as run (generic plans, as the service's sessions get), as a NOTICE.
LOAD 'auto_explain';
SELECT
    set_config('auto_explain.log_min_duration', '0', FALSE),
    set_config('auto_explain.log_analyze', 'on', FALSE),
    set_config('auto_explain.log_buffers', 'on', FALSE),
    set_config('auto_explain.log_level', 'notice', FALSE),
    set_config('plan_cache_mode', 'force_generic_plan', FALSE);

-- name: largest_user_and_job()^
-- The user with the most campaigns and the job with the most creators: the
-- far ends of the growth curves, for their plans.
SELECT
    biggest.job_id,
    j.user_id AS job_user_id,
    (
        SELECT user_id FROM campaign_counts
        GROUP BY user_id
        ORDER BY sum(campaigns) DESC LIMIT 1
    ) AS campaigns_user_id
FROM (
    SELECT job_id FROM found_creators
    GROUP BY job_id
    ORDER BY count(*) DESC LIMIT 1
) AS biggest
INNER JOIN scraping_jobs AS j ON biggest.job_id = j.id;

-- name: find_searches_campaign(user_id, name)$
-- The campaign of user_id with this name, if generated before.
SELECT id FROM campaigns
WHERE user_id = :user_id AND name = :name;

-- name: generate_searches_campaign(user_id, name, searches, creators_per_search)$
-- A campaign of user_id with :searches completed searches of
-- :creators_per_search creators each (pages of 20); each search finds half of
-- the previous search's creators again, so the campaign's list grows by half a
-- search per search. The triggers keep found_creators and campaign_creators as
-- for pages stored by workers. Returns the campaign's id.
WITH campaign AS (
    INSERT INTO campaigns (user_id, name, search_type, status)
    VALUES (:user_id, :name, 'keyword', 'active')
    RETURNING id
),

jobs AS (
    INSERT INTO scraping_jobs (
        user_id, campaign_id, keywords, platform, target_results, status, processed_runs,
        processed_results, progress, cursor, completed_at
    )
    SELECT
        :user_id,
        campaign.id,
        jsonb_build_array('search ' || s),
        'TikTok',
        :creators_per_search::integer,
        'completed',
        :creators_per_search::integer / 20,
        :creators_per_search::integer,
        100,
        :creators_per_search::integer / 20,
        now()
    FROM campaign CROSS JOIN generate_series(1, :searches::integer) AS s
    RETURNING id, (keywords ->> 0) AS keyword
),

pages AS (
    INSERT INTO scraping_results (job_id, page, creators)
    SELECT
        jobs.id,
        p,
        (
            SELECT
                jsonb_agg(jsonb_build_object(
                    'creator', jsonb_build_object(
                        'name', 'Creator ' || n, 'handle', 'cc_' || n,
                        'followers', (n * 7919) % 1000003, 'emails', '[]'::jsonb, 'bio', 'bio of creator ' || n
                    ),
                    'video', jsonb_build_object(
                        'url', 'https://video.example/cc/' || n, 'description', 'video ' || n,
                        'statistics', jsonb_build_object('likes', n % 97, 'comments', 1, 'shares', 1, 'views', 1000)
                    ),
                    'hashtags', '["#growth"]'::jsonb, 'platform', 'TikTok'
                ))
            FROM generate_series(1, 20) AS i
            CROSS JOIN LATERAL (
                SELECT
                    (split_part(jobs.keyword, ' ', 2)::integer - 1) * (:creators_per_search::integer / 2)
                    + p * 20 + i AS n
            ) AS creator_number
        )
    FROM jobs CROSS JOIN generate_series(0, :creators_per_search::integer / 20 - 1) AS p
)

SELECT id FROM campaign;
