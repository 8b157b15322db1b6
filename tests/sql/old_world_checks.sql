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
