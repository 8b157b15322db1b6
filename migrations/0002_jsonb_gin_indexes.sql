-- GIN indexes on the JSONB columns, built without blocking writes.
-- scraping_jobs.keywords uses jsonb_ops because keyword search asks `keywords ? :word`;
-- scraping_results.creators uses the smaller jsonb_path_ops, which serves `@>`.
-- The drop first removes an INVALID index left by a failed earlier build.
-- depends: 0001_core_schema
-- transactional: false

DROP INDEX CONCURRENTLY IF EXISTS scraping_jobs_keywords_gin;
CREATE INDEX CONCURRENTLY scraping_jobs_keywords_gin ON scraping_jobs USING gin (keywords);
DROP INDEX CONCURRENTLY IF EXISTS scraping_results_creators_gin;
CREATE INDEX CONCURRENTLY scraping_results_creators_gin ON scraping_results USING gin (creators jsonb_path_ops);
