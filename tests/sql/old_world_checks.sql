-- Queries of the old-world adoption tests: every stored row of the tables the
-- old system had, and what adoption kept aside. They read both the old schema
-- and ours (columns are not named, so each side gives what it has).

-- name: stored_rows()
-- Every row of the old system's tables, as JSON, with its table.
SELECT
    'campaigns' AS source_table,
    to_jsonb(t) AS row
FROM campaigns AS t
UNION ALL
SELECT
    'scraping_jobs',
    to_jsonb(t)
FROM scraping_jobs AS t
UNION ALL
SELECT
    'scraping_results',
    to_jsonb(t)
FROM scraping_results AS t
UNION ALL
SELECT
    'search_jobs',
    to_jsonb(t)
FROM search_jobs AS t
UNION ALL
SELECT
    'search_results',
    to_jsonb(t)
FROM search_results AS t
UNION ALL
SELECT
    'system_configurations',
    to_jsonb(t)
FROM system_configurations AS t
UNION ALL
SELECT
    'user_profiles',
    to_jsonb(t)
FROM user_profiles AS t;

-- name: quarantined_rows()
-- The rows adoption moved aside (moved) or normalised (their originals).
SELECT
    source_table,
    source_id,
    reason,
    moved,
    original
FROM legacy_quarantine
ORDER BY id;

-- name: original_job_values()
-- The old values of the job columns adoption normalised.
SELECT to_jsonb(v) AS original FROM legacy_job_values AS v;

-- name: put_back_guessed_legacy_tables#
-- The legacy tables as the first release of 0001 guessed them, in place of the
-- real ones, and 0011 unrecorded: a database migrated by that release.
DROP TABLE search_results;
DROP TABLE search_jobs;
CREATE TABLE search_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    campaign_id uuid REFERENCES campaigns (id) ON DELETE CASCADE,
    query text,
    platform text,
    status text NOT NULL DEFAULT 'pending',
    total_results integer NOT NULL DEFAULT 0,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX search_jobs_campaign_idx ON search_jobs (campaign_id);
CREATE TABLE search_results (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    search_job_id uuid NOT NULL REFERENCES search_jobs (id) ON DELETE CASCADE,
    creators jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_results_job_idx ON search_results (search_job_id);
DELETE FROM _yoyo_migration
WHERE migration_id = '0011_legacy_tables_as_they_are';

-- name: legacy_table_columns()
-- The legacy tables' columns with their types, nullability and defaults, and their constraints.
SELECT
    table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
        AS described
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name IN ('search_jobs', 'search_results')
UNION ALL
SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid IN ('search_jobs'::regclass, 'search_results'::regclass) AND contype != 'n'
UNION ALL
SELECT indexdef FROM pg_indexes
WHERE tablename IN ('search_jobs', 'search_results')
ORDER BY described;
