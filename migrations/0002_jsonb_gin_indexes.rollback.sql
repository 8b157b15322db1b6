-- Drops the JSONB GIN indexes without blocking writes, and btree_gin.
-- yoyo pairs these statements with the apply file's in reverse order: each
-- CREATE is undone by a DROP, and each leading DROP by an empty DO block.
DROP INDEX CONCURRENTLY IF EXISTS user_profiles_email_status_gin;
DO $$ BEGIN END $$;
DROP INDEX CONCURRENTLY IF EXISTS scraping_results_creators_gin;
DO $$ BEGIN END $$;
DROP INDEX CONCURRENTLY IF EXISTS scraping_jobs_keywords_gin;
DO $$ BEGIN END $$;
-- Fails (and so keeps it) if something else in this database uses btree_gin.
DROP EXTENSION IF EXISTS btree_gin;
