-- GIN indexes on the JSONB columns, built without blocking writes.
-- Keywords keep the casing users typed; keyword search is case-insensitive and
-- per user, so its index covers both: user_id (through btree_gin, a trusted
-- contrib extension) and the lower-cased array, serving
-- `user_id = :user_id AND lower(keywords::text)::jsonb ? lower(:word)`;
-- scraping_results.creators uses the smaller jsonb_path_ops, which serves `@>`;
-- user_profiles.email_schedule_status uses jsonb_ops: the email outbox and the
-- admin profile filter ask `@>` (type and status) and `?` (type only).
-- Each DROP first removes an INVALID index left by a failed earlier build; IF NOT
-- EXISTS is left out on purpose, as it would keep such an index.
-- squawk-ignore-file require-statement-timeout, require-lock-timeout, prefer-robust-stmts, ban-concurrent-index-creation-in-transaction
-- (runs outside a transaction; concurrent builds take no blocking lock and must
-- not be cut off by a statement timeout)
-- depends: 0001_core_schema
-- transactional: false

CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX CONCURRENTLY IF EXISTS scraping_jobs_keywords_gin;
CREATE INDEX CONCURRENTLY scraping_jobs_keywords_gin
ON scraping_jobs USING gin (user_id, (lower(keywords::text)::jsonb));
DROP INDEX CONCURRENTLY IF EXISTS scraping_results_creators_gin;
-- Built empty (WHERE false): 0005 drops it again. Edited after release (databases
-- that applied 0002 keep what it built): built whole over an adopted old
-- database's pages it was 20-40 % of the adoption's time (bench/RESULTS.md).
CREATE INDEX CONCURRENTLY scraping_results_creators_gin ON scraping_results USING gin (creators jsonb_path_ops)
WHERE false;
DROP INDEX CONCURRENTLY IF EXISTS user_profiles_email_status_gin;
CREATE INDEX CONCURRENTLY user_profiles_email_status_gin ON user_profiles USING gin (email_schedule_status);
