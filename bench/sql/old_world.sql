-- The old system's database at scale, for the adoption benchmark
-- (bench/adoption.py): on top of tests/sql/old_world.sql's schema and rows,
-- users with campaigns, jobs and old-style result rows (one per job, a second
-- one for every 10th job) holding the creators in each shape the old code wrote.

-- name: generate_old_campaigns(users, campaigns_per_user)!
-- Campaigns as the old code stored them: names as typed (some untrimmed), all draft.
INSERT INTO campaigns (user_id, name, search_type, status, created_at, updated_at)
SELECT
    'old_user_' || u,
    CASE WHEN c % 4 = 0 THEN ' Campaign ' || c || ' ' ELSE 'Campaign ' || c END,
    CASE WHEN c % 2 = 0 THEN 'similar' ELSE 'keyword' END,
    'draft',
    timestamp '2025-01-01' + make_interval(mins => u * 7 + c),
    timestamp '2025-01-01' + make_interval(mins => u * 7 + c)
FROM generate_series(1, :users) AS u
CROSS JOIN generate_series(1, :campaigns_per_user) AS c;

-- name: generate_old_jobs(jobs_per_campaign)!
-- Jobs in each generated campaign, spelled and counted as the old code did:
-- keyword TikTok 'Tiktok', similar TikTok 'TikTok', progress as float text,
-- cursor counting creators; a few without a campaign or of an unknown platform.
INSERT INTO scraping_jobs (
    user_id, campaign_id, keywords, target_username, platform, status, processed_runs, processed_results,
    target_results, cursor, progress, created_at, started_at, completed_at, updated_at
)
SELECT
    c.user_id,
    CASE WHEN n.j = 1 AND hashtext(c.id::text) % 200 = 0 THEN NULL ELSE c.id END,
    CASE WHEN c.search_type = 'keyword' THEN jsonb_build_array('keyword ' || n.j) END,
    CASE WHEN c.search_type = 'similar' THEN 'target_' || n.j END,
    CASE
        WHEN n.j = 2 AND hashtext(c.id::text) % 300 = 0 THEN 'Twitter'
        WHEN c.search_type = 'keyword' THEN (ARRAY['Tiktok', 'YouTube', 'Instagram'])[1 + n.j % 3]
        ELSE (ARRAY['TikTok', 'Instagram', 'YouTube'])[1 + n.j % 3]
    END,
    'completed',
    3,
    100,
    1000,
    100,
    CASE WHEN n.j % 3 = 0 THEN 99.99999999999999 ELSE 100 END,
    c.created_at + make_interval(mins => n.j),
    c.created_at + make_interval(mins => n.j),
    c.created_at + make_interval(mins => n.j + 2),
    c.created_at + make_interval(mins => n.j + 2)
FROM campaigns AS c
CROSS JOIN generate_series(1, :jobs_per_campaign) AS n (j)
WHERE c.user_id LIKE 'old\_user\_%';

-- name: generate_old_results(creators_per_row)!
-- One result row per job holding all its creators (a second row for every 10th
-- job), each entry in the shape the job's platform and search type got.
INSERT INTO scraping_results (job_id, creators, created_at)
SELECT
    j.id,
    (
        SELECT
            jsonb_agg(
                CASE
                    WHEN j.keywords IS NOT NULL AND j.platform IN ('Tiktok', 'Twitter')
                        THEN
                            jsonb_build_object(
                                'creator', jsonb_build_object(
                                    'name', 'Creator ' || e.n || ' of ' || left(j.id::text, 8),
                                    'followers', (e.n * 7919) % 1000000,
                                    'avatarUrl', 'https://p16-sign.tiktokcdn.com/' || e.n || '.jpeg'
                                ),
                                'video', jsonb_build_object(
                                    'description', 'video ' || e.n,
                                    'url', 'https://www.tiktok.com/@c' || e.n || '/video/' || e.n,
                                    'statistics', jsonb_build_object(
                                        'likes', e.n * 3, 'comments', e.n, 'shares', e.n / 2, 'views', e.n * 100
                                    )
                                ),
                                'hashtags', jsonb_build_array('#tag' || e.n % 10),
                                'platform', 'TikTok'
                            )
                    WHEN j.keywords IS NOT NULL
                        THEN
                            jsonb_build_object(
                                'creator', jsonb_build_object(
                                    'name', 'Channel ' || e.n, 'uniqueId', 'chan' || e.n || left(j.id::text, 8),
                                    'followers',
                                    (e.n * 104729) % 500000,
                                    'avatarUrl',
                                    '',
                                    'bio',
                                    '',
                                    'emails',
                                    '[]'::jsonb
                                ),
                                'video', jsonb_build_object(
                                    'description', 'title ' || e.n, 'url', 'https://example.com/v/' || e.n,
                                    'statistics',
                                    jsonb_build_object('likes', 0, 'comments', 0, 'shares', 0, 'views', e.n * 10)
                                ),
                                'hashtags', '[]'::jsonb,
                                'platform', j.platform,
                                'channelId', 'UC' || e.n
                            )
                    WHEN j.platform = 'Instagram'
                        THEN
                            jsonb_build_object(
                                'creator', jsonb_build_object(
                                    'name',
                                    'Profile ' || e.n,
                                    'uniqueId',
                                    'ig' || e.n || left(j.id::text, 8),
                                    'followers',
                                    0,
                                    'bio',
                                    'mail ig' || e.n || '@example.com',
                                    'emails',
                                    jsonb_build_array('ig' || e.n || '@example.com')
                                ),
                                'platform', 'Instagram',
                                'username', 'ig' || e.n || left(j.id::text, 8),
                                'full_name', 'Profile ' || e.n,
                                'followers_count', (e.n * 7919) % 200000
                            )
                    ELSE jsonb_build_object(
                        'id', e.n::text,
                        'username', 'sim' || e.n || left(j.id::text, 8),
                        'full_name', 'Similar ' || e.n,
                        'followerCount', (e.n * 7919) % 300000,
                        'bio', 'just vibes',
                        'emails', '[]'::jsonb,
                        'handle', 'sim' || e.n || left(j.id::text, 8),
                        'platform', j.platform
                    )
                END
                ORDER BY e.n
            )
        FROM generate_series(1, :creators_per_row) AS e (n)
    ),
    j.completed_at - make_interval(secs => r.row_number)
FROM scraping_jobs AS j
CROSS JOIN LATERAL generate_series(1, CASE WHEN hashtext(j.id::text) % 10 = 0 THEN 2 ELSE 1 END) AS r (row_number)
WHERE j.user_id LIKE 'old\_user\_%';

-- name: count_old_creators()$
-- Creator entries in the old-style result rows.
SELECT coalesce(sum(jsonb_array_length(creators)), 0)::bigint FROM scraping_results;

-- name: locks_held(pids)
-- Table locks granted in the public schema to client sessions other than the
-- watchers' (not autovacuum's).
SELECT
    c.relname AS table_name,
    l.mode
FROM pg_locks AS l
INNER JOIN pg_class AS c ON l.relation = c.oid
INNER JOIN pg_stat_activity AS a ON l.pid = a.pid
WHERE
    a.backend_type = 'client backend'
    AND l.granted
    AND c.relkind = 'r'
    AND c.relnamespace = 'public'::regnamespace
    AND l.pid NOT IN (SELECT unnest(:pids::integer[]));

-- name: database_size()$
-- The current database's size in bytes.
SELECT pg_database_size(current_database());

-- name: read_one_campaign()
-- A reader of the campaigns table (waits while a migration holds it exclusively).
SELECT 1 FROM campaigns
ORDER BY id LIMIT 1;

-- name: read_one_job()
-- A reader of the jobs table.
SELECT 1 FROM scraping_jobs
ORDER BY id LIMIT 1;

-- name: read_one_result()
-- A reader of the result pages.
SELECT 1 FROM scraping_results
ORDER BY id LIMIT 1;

-- name: read_one_profile()
-- A reader of the profiles.
SELECT 1 FROM user_profiles
ORDER BY id LIMIT 1;

-- name: read_one_setting()
-- A reader of the settings.
SELECT 1 FROM system_configurations
ORDER BY id LIMIT 1;
