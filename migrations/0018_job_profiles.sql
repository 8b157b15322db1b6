-- The creator profiles a job fetched from the provider to complete its
-- creators (followers, bio) when a search answer lacks them: one provider call
-- per creator per job, remembered here so that a creator seen again on a later
-- page, or by another worker after a retry, costs nothing more. An empty
-- profile records a creator the provider did not know (404): asked once too.
-- depends: 0017_finished_jobs_by_age

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE scraping_job_profiles (
    job_id uuid NOT NULL REFERENCES scraping_jobs (id) ON DELETE CASCADE,
    creator_key text NOT NULL CHECK (length(creator_key) BETWEEN 1 AND 300),
    profile jsonb NOT NULL CHECK (jsonb_typeof(profile) = 'object'),
    fetched_at timestamptz NOT NULL DEFAULT now(),
    -- Also the lookup of a page's creators and the conflict target of the insert.
    PRIMARY KEY (job_id, creator_key)
);

COMMENT ON TABLE scraping_job_profiles IS
'Provider profiles fetched for a job''s creators, once per creator per job; deleted with the job.';
COMMENT ON COLUMN scraping_job_profiles.creator_key IS 'Platform and the provider''s id or handle of the creator.';
COMMENT ON COLUMN scraping_job_profiles.profile IS
'{followers, bio, name, avatarUrl, emails}; {} when the provider did not know the creator.';
