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
-- Every stored entry, as JSON text, in both shapes clients read: the flat
-- list {"configs": [entry, ...]} and the old admin page's
-- {"configurations": {category: [entry, ...]}, "categories": [...], "totalCount": n};
-- categories and keys in order.
-- Index: system_configurations_category_key_key.
-- not null
SELECT
    json_build_object(
        'configs', (
            SELECT coalesce(json_agg(api_config_entry(e) ORDER BY e.category, e.key), '[]')
            FROM system_configurations AS e
        ),
        'configurations', coalesce(json_object_agg(grouped.category, grouped.entries ORDER BY grouped.category), '{}'),
        'categories', coalesce(json_agg(grouped.category ORDER BY grouped.category), '[]'),
        'totalCount', coalesce(sum(grouped.entry_count), 0)
    )::text
FROM (
    SELECT
        e.category,
        json_agg(api_config_entry(e) ORDER BY e.key) AS entries,
        count(*) AS entry_count
    FROM system_configurations AS e
    GROUP BY e.category
) AS grouped;

-- name: upsert_config_entry(category, key, value, value_type, description, replace_description, is_hot_reloadable)$
-- Create or replace an entry. With :replace_description the description is
-- replaced (NULL clears it: the admin page posts the whole entry); without, a
-- NULL description keeps the stored one. A NULL hot-reload flag keeps the
-- stored one (true for a new entry). Returns it as API JSON text.
-- nullable: description
-- not null
INSERT INTO system_configurations AS e (category, key, value, value_type, description, is_hot_reloadable)
VALUES (:category, :key, :value, :value_type, :description, coalesce(:is_hot_reloadable::boolean, true))
ON CONFLICT (category, key) DO UPDATE
    SET
        value = excluded.value,
        value_type = excluded.value_type,
        description = CASE
            WHEN :replace_description::boolean THEN excluded.description ELSE coalesce(:description, e.description)
        END,
        is_hot_reloadable = coalesce(:is_hot_reloadable::boolean, e.is_hot_reloadable),
        updated_at = now()
RETURNING api_config_entry(e)::text;

-- name: delete_config_entry(category, key)$
-- Remove an entry (the code default applies again). Returns its id, or NULL.
DELETE FROM system_configurations
WHERE category = :category AND key = :key
RETURNING id;

-- name: insert_missing_config_entries(categories, keys, config_values, value_types, descriptions)$
-- Store the given entries (parallel arrays) that are not stored yet, leaving
-- stored ones as they are. Returns how many were added.
-- not null
WITH added AS (
    INSERT INTO system_configurations (category, key, value, value_type, description)
    SELECT
        d.category,
        d.key,
        d.value,
        d.value_type,
        d.description
    FROM
        unnest(
            :categories::text[], :keys::text[], :config_values::text[], :value_types::text[], :descriptions::text[]
        ) AS d (category, key, value, value_type, description)
    ON CONFLICT (category, key) DO NOTHING
    RETURNING 1
)

SELECT count(*) FROM added;
