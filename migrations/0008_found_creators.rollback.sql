-- Drops the kept creators of each job; job_creators() (migration 0004) derives them again.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP TRIGGER scraping_results_found_delete ON scraping_results;
DROP TRIGGER scraping_results_found_update ON scraping_results;
DROP TRIGGER scraping_results_found_insert ON scraping_results;
DROP FUNCTION rebuild_found_creators();
DROP FUNCTION collect_found_creators();
DROP FUNCTION creator_matches(found_creators, numeric, numeric, boolean, text);
DROP FUNCTION latest_sightings(scraping_results[]);
DROP TABLE found_creators;
