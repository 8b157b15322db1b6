-- Drops SQL functions that no query uses any more: the jsonb API shapes of
-- migration 0003 (replaced by the json api_* functions of 0006) and
-- job_creators() of 0004 (replaced by the found_creators table of 0008).
-- json_number() of 0004 stays: found_creators and the export use it.
-- No client calls these functions: the service's queries (sql/) are the only
-- callers, and none of them does any more.
-- squawk-ignore-file ban-drop-function
-- depends: 0008_found_creators

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION job_creators(uuid, numeric, numeric, boolean, text);
DROP FUNCTION config_entry_json(system_configurations);
DROP FUNCTION profile_json(user_profiles);
DROP FUNCTION result_json(scraping_results);
DROP FUNCTION job_json(scraping_jobs);
DROP FUNCTION campaign_json(campaigns);
