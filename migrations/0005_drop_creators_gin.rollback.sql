-- Rebuilds the GIN index on scraping_results.creators without blocking writes.
CREATE INDEX CONCURRENTLY scraping_results_creators_gin ON scraping_results USING gin (creators jsonb_path_ops);
