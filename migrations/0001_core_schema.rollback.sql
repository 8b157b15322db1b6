-- Drops the core schema (all data is lost).
DROP TABLE search_results;
DROP TABLE search_jobs;
DROP TABLE system_configurations;
DROP TABLE scraping_results;
DROP TABLE scraping_jobs;
DROP TABLE campaigns;
DROP TABLE user_profiles;
