-- Drops the per-job profile memory; creators are then completed without it (again per page).

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP TABLE scraping_job_profiles;
