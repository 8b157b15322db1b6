-- System configuration entries, read by every process and edited by admins.

-- name: get_config_entry(category, key)^
-- One stored entry, for the settings cache. Index: system_configurations_category_key_key.
-- not null
SELECT
    value,
    value_type,
    is_hot_reloadable
FROM system_configurations
WHERE category = :category AND key = :key;

-- name: list_config_entries()$
-- Every stored entry, by category and key, as the API's {"configs": [...]} JSON text.
-- not null
SELECT
    json_build_object(
        'configs', coalesce(json_agg(api_config_entry(e) ORDER BY e.category, e.key), '[]')
    )::text
FROM system_configurations AS e;

-- name: upsert_config_entry(category, key, value, value_type, description, is_hot_reloadable)$
-- Create or replace an entry; a NULL description or hot-reload flag keeps the
-- stored one (or the default for a new entry). Returns it as API JSON text.
-- nullable: description
-- not null
INSERT INTO system_configurations AS e (category, key, value, value_type, description, is_hot_reloadable)
VALUES (:category, :key, :value, :value_type, :description, coalesce(:is_hot_reloadable::boolean, true))
ON CONFLICT (category, key) DO UPDATE
    SET
        value = excluded.value,
        value_type = excluded.value_type,
        description = coalesce(:description, e.description),
        is_hot_reloadable = coalesce(:is_hot_reloadable::boolean, e.is_hot_reloadable),
        updated_at = now()
RETURNING api_config_entry(e)::text;

-- name: delete_config_entry(category, key)$
-- Remove an entry (the code default applies again). Returns its id, or NULL.
DELETE FROM system_configurations
WHERE category = :category AND key = :key
RETURNING id;
