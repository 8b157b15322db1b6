-- Drops the core schema (all data is lost).

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP TABLE search_results;
DROP TABLE search_jobs;
DROP TABLE system_configurations;
DROP TABLE scraping_results;
DROP TABLE scraping_jobs;
DROP TABLE campaigns;
DROP TABLE user_profiles;
