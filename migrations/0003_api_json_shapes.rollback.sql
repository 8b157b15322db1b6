-- Drops the API JSON shape functions.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION config_entry_json(system_configurations);
DROP FUNCTION profile_json(user_profiles);
DROP FUNCTION result_json(scraping_results);
DROP FUNCTION job_json(scraping_jobs);
DROP FUNCTION campaign_json(campaigns);
