-- Back to the configuration entry shape of migration 0006; drops the polled creator and aggregation shapes.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION api_polled_creator(jsonb, text, boolean, text);
DROP FUNCTION api_aggregations(bigint, bigint);

CREATE OR REPLACE FUNCTION api_config_entry(e system_configurations) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'category', e.category,
        'key', e.key,
        'value', e.value,
        'valueType', e.value_type,
        'description', e.description,
        'isHotReloadable', e.is_hot_reloadable,
        'createdAt', e.created_at,
        'updatedAt', e.updated_at
    )
$$;
