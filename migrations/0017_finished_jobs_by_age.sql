-- Finished jobs by status and age, for the admin cleanup (cleanup_jobs_batch):
-- without it every batch scanned scraping_jobs. Partial: unfinished jobs have
-- scraping_jobs_unfinished_idx. Built without blocking writes; the DROP first
-- removes an INVALID index left by a failed earlier build (IF NOT EXISTS would
-- keep it).
-- squawk-ignore-file require-statement-timeout, require-lock-timeout, prefer-robust-stmts, ban-concurrent-index-creation-in-transaction
-- (runs outside a transaction; concurrent builds take no blocking lock and must
-- not be cut off by a statement timeout)
-- depends: 0016_fair_queue_index
-- transactional: false

DROP INDEX CONCURRENTLY IF EXISTS scraping_jobs_finished_created_idx;
CREATE INDEX CONCURRENTLY scraping_jobs_finished_created_idx ON scraping_jobs (status, created_at)
WHERE status IN ('completed', 'error', 'cancelled', 'timeout');
