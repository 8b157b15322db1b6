-- Drops the API JSON shape functions.
DROP FUNCTION result_json(scraping_results);
DROP FUNCTION job_json(scraping_jobs);
DROP FUNCTION campaign_json(campaigns);
