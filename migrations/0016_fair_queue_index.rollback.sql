-- Drops the fair claim's index without blocking writes.
-- yoyo pairs these statements with the apply file's in reverse order: the
-- CREATE is undone by the DROP, and the leading DROP by an empty DO block.
DROP INDEX CONCURRENTLY IF EXISTS scraping_jobs_queue_user_idx;
DO $$ BEGIN END $$;
