-- Operations: liveness of the database and the migration state.

-- name: list_applied_migrations()
-- Ids of the migrations yoyo has applied (fails if yoyo never ran here).
-- not null
SELECT migration_id FROM _yoyo_migration;

-- name: list_invalid_indexes()
-- Indexes left INVALID by a failed concurrent build (checked after migrating).
-- not null
SELECT indexrelid::regclass::text AS index_name
FROM pg_index
INNER JOIN pg_class AS c ON pg_index.indexrelid = c.oid
INNER JOIN pg_namespace AS n ON c.relnamespace = n.oid
WHERE NOT pg_index.indisvalid AND n.nspname = 'public'
ORDER BY index_name;

-- name: max_connections()$
-- The server's connection limit, to check the pools against at start-up.
-- not null
SELECT current_setting('max_connections')::integer;

-- name: get_adoption_summary()^
-- What adopting the old system's database (migration 0010) moved to legacy_quarantine and normalised,
-- by table and reason; no row where nothing was adopted. One-row table, no index needed.
-- not null
SELECT
    quarantined::text AS quarantined,
    normalised::text AS normalised
FROM legacy_adoption
ORDER BY adopted_at DESC
LIMIT 1;
