-- Drops the GIN index on scraping_results.creators: measured on the bench
-- dataset (bench/EXPLAIN.md) it was 222 MB, about half the size of its table,
-- and no named query's plan used it (the creators view reads a job's pages
-- through scraping_results_job_page_key). Rebuild it only with a query that needs `@>`.
-- squawk-ignore-file require-statement-timeout, require-lock-timeout, ban-concurrent-index-creation-in-transaction
-- (runs outside a transaction; a concurrent drop takes no blocking lock)
-- depends: 0002_jsonb_gin_indexes
-- transactional: false

DROP INDEX CONCURRENTLY IF EXISTS scraping_results_creators_gin;
