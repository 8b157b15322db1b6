-- Drops the json API shapes; the jsonb ones of 0003 are still there.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION json_with(json, json);
DROP FUNCTION api_config_entry(system_configurations);
DROP FUNCTION api_profile(user_profiles);
DROP FUNCTION api_result(scraping_results);
DROP FUNCTION api_job(scraping_jobs);
DROP FUNCTION api_campaign(campaigns);
