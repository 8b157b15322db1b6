-- Creator profiles fetched for a job (migration 0018): read before a page's
-- creators are completed, written after, so a profile is fetched once per job.

-- name: list_job_profiles(job_id, creator_keys)
-- The stored profiles among these creators of the job.
-- Index: scraping_job_profiles_pkey.
-- not null
SELECT
    creator_key,
    profile
FROM scraping_job_profiles
WHERE job_id = :job_id AND creator_key = any(:creator_keys::text[]);

-- name: save_job_profiles(job_id, profiles)!
-- Remember fetched profiles ([{key, profile}]); one already stored (another
-- worker fetched it meanwhile) is kept. Index: scraping_job_profiles_pkey.
INSERT INTO scraping_job_profiles (job_id, creator_key, profile)
SELECT
    :job_id,
    item ->> 'key',
    item -> 'profile'
FROM jsonb_array_elements(:profiles::jsonb) AS item
ON CONFLICT (job_id, creator_key) DO NOTHING;
