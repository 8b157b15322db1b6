-- The fair claim's index, built without blocking writes: unfinished jobs by
-- user, oldest first, carrying what the claim reads of each (its lease, retry
-- time, time limit and last step), so the claim groups jobs by user and finds
-- a user's longest-waiting job from the index alone.
-- The DROP first removes an INVALID index left by a failed earlier build; IF NOT
-- EXISTS is left out on purpose, as it would keep such an index.
-- squawk-ignore-file require-statement-timeout, require-lock-timeout, prefer-robust-stmts, ban-concurrent-index-creation-in-transaction
-- (runs outside a transaction; concurrent builds take no blocking lock and must
-- not be cut off by a statement timeout)
-- depends: 0015_fair_queue
-- transactional: false

DROP INDEX CONCURRENTLY IF EXISTS scraping_jobs_queue_user_idx;
CREATE INDEX CONCURRENTLY scraping_jobs_queue_user_idx
ON scraping_jobs (user_id, created_at)
INCLUDE (step_claimed_at, locked_by, locked_until, next_attempt_at, timeout_at)
WHERE status IN ('pending', 'processing');
