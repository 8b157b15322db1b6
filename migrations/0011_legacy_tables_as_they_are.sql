-- The legacy search tables as the old system really has them. 0001 first
-- guessed them wrong (a uuid id, a user, one row of creators per search);
-- databases that applied that text get the real shape here, which 0001 now
-- creates directly (and an adopted database already has). Nothing ever wrote
-- the guessed tables, so they are altered empty; a row in them stops this
-- migration rather than be dropped.
-- depends: 0009_drop_unused_functions

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = to_regclass('public.search_results') AND attname = 'search_job_id' AND NOT attisdropped
    ) THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM search_jobs) OR EXISTS (SELECT FROM search_results) THEN
        RAISE EXCEPTION 'search_jobs or search_results has rows, which nothing of ours writes: move them aside first';
    END IF;

    ALTER TABLE search_results DROP CONSTRAINT search_results_search_job_id_fkey;
    ALTER TABLE search_jobs
    DROP COLUMN user_id,
    DROP COLUMN query,
    DROP COLUMN error,
    ALTER COLUMN id DROP DEFAULT,
    ALTER COLUMN id TYPE text,
    ALTER COLUMN platform SET NOT NULL,
    ADD COLUMN search_type text NOT NULL,
    ALTER COLUMN status SET DEFAULT 'queued',
    ALTER COLUMN total_results DROP DEFAULT,
    ADD COLUMN completed_count integer NOT NULL DEFAULT 0,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
    ALTER TABLE search_jobs RENAME COLUMN total_results TO total_count;

    ALTER TABLE search_results
    DROP COLUMN creators,
    ALTER COLUMN search_job_id TYPE text,
    ADD COLUMN profile_id text NOT NULL,
    ADD COLUMN username text NOT NULL,
    ADD COLUMN display_name text,
    ADD COLUMN platform text NOT NULL,
    ADD COLUMN profile_url text,
    ADD COLUMN post_url text,
    ADD COLUMN post_description text,
    ADD COLUMN avatar_url text,
    ADD COLUMN followers integer DEFAULT 0,
    ADD COLUMN is_verified text DEFAULT 'false',
    ADD COLUMN email text,
    ADD COLUMN bio text,
    ADD COLUMN raw_data jsonb;
    ALTER TABLE search_results RENAME COLUMN search_job_id TO job_id;
    ALTER TABLE search_results ADD CONSTRAINT search_results_job_id_fkey
    FOREIGN KEY (job_id) REFERENCES search_jobs (id) ON DELETE CASCADE;

    COMMENT ON TABLE search_results IS 'Legacy: one creator found by a search_jobs row. Read-only.';
    COMMENT ON COLUMN search_results.is_verified IS 'The strings ''true'' or ''false'', as the old system wrote them.';
END
$$;
