-- Operations: liveness of the database and the migration state.

-- name: list_applied_migrations()
-- Ids of the migrations yoyo has applied (fails if yoyo never ran here).
SELECT migration_id FROM _yoyo_migration;
