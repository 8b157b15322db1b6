-- Shapes the old frontend reads (CONTRACT.md, "Compatibility with the old
-- frontend"): configuration entries gain their `id` and give
-- `isHotReloadable` as the strings "true"/"false" (the admin page keys rows
-- by id and compares the flag with === 'true'); and the creators of the
-- polling route carry the fields its results pages read. The job
-- aggregations get a function, shared by the job detail and the polling route.
-- depends: 0018_job_profiles

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE OR REPLACE FUNCTION api_config_entry(e system_configurations) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', e.id,
        'category', e.category,
        'key', e.key,
        'value', e.value,
        'valueType', e.value_type,
        'description', e.description,
        'isHotReloadable', CASE WHEN e.is_hot_reloadable THEN 'true' ELSE 'false' END,
        'createdAt', e.created_at,
        'updatedAt', e.updated_at
    )
$$;

-- The `aggregations` of a job with its results (GET /api/jobs/{id} and the
-- polling route): pages, creators, and creators per page.
CREATE FUNCTION api_aggregations(total_results bigint, total_creators bigint) RETURNS json
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'totalResults', total_results,
        'totalCreators', total_creators,
        'averageCreatorsPerResult',
        CASE WHEN total_results > 0 THEN round(total_creators::numeric / total_results, 2) ELSE 0 END
    )
$$;

COMMENT ON FUNCTION api_aggregations(bigint, bigint) IS
'API shape of a job''s aggregations (CONTRACT.md, GET /api/jobs/{id}).';

-- One stored creator entry as the polling route gives it: what the entry has
-- stays as it is, and what the old frontend reads is added where missing.
-- The nested `creator` gets `name`, `uniqueId` (the handle), `profilePicUrl`
-- (the avatar) and `followers`, which the progress card reads. A similar
-- search's entry also gets the flat fields its results page reads (the old
-- worker stored them flat): id, username, name, full_name, handle,
-- profile_pic_url, profileUrl, is_verified, is_private, bio, emails,
-- followerCount. `id` is entry_id, the entry's place in the job
-- ("page.position"): unique and stable across polls (the page keys its rows
-- by it; a handle can come back on a later page). Entries adopted from the old
-- system (migration 0012 lists their shapes: flat only, creator.uniqueId, no
-- handle, no platform: the job's) give the same fields from where they keep
-- them. An entry that is not an object is returned as it is.
CREATE FUNCTION api_polled_creator(entry jsonb, job_platform text, is_similar boolean, entry_id text) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN jsonb_typeof(entry) <> 'object' THEN entry
        ELSE CASE
            WHEN NOT is_similar THEN '{}'::jsonb
            ELSE jsonb_build_object(
                'id', entry_id,
                'username', v.handle,
                'handle', v.handle,
                'name', v.name,
                'full_name', v.name,
                'profile_pic_url', v.avatar,
                'profileUrl', CASE
                    WHEN v.handle = '' THEN NULL
                    WHEN v.platform ILIKE 'tiktok' THEN 'https://www.tiktok.com/@' || v.handle
                    -- a YouTube channel without a handle goes by its id
                    WHEN
                        v.platform ILIKE 'youtube' AND v.handle ~ '^UC[A-Za-z0-9_-]{22}$'
                        THEN 'https://www.youtube.com/channel/' || v.handle
                    WHEN v.platform ILIKE 'youtube' THEN 'https://www.youtube.com/@' || v.handle
                    ELSE 'https://www.instagram.com/' || v.handle || '/'
                END,
                'is_verified', CASE
                    WHEN jsonb_typeof(v.creator -> 'verified') = 'boolean' THEN v.creator -> 'verified' ELSE 'false'
                END,
                'is_private', CASE
                    WHEN jsonb_typeof(v.creator -> 'private') = 'boolean' THEN v.creator -> 'private' ELSE 'false'
                END,
                'bio', coalesce(v.creator ->> 'bio', entry ->> 'bio', ''),
                'emails', CASE
                    WHEN jsonb_typeof(v.creator -> 'emails') = 'array' THEN v.creator -> 'emails'
                    WHEN jsonb_typeof(entry -> 'emails') = 'array' THEN entry -> 'emails'
                    ELSE '[]'::jsonb
                END,
                'followerCount', v.followers
            )
        END || entry || jsonb_build_object(
            'creator', jsonb_build_object(
                'name', v.name,
                'uniqueId', nullif(v.handle, ''),
                'profilePicUrl', v.avatar,
                'followers', v.followers
            ) || v.creator
        )
    END
    FROM (
        SELECT
            c.creator,
            coalesce(entry ->> 'platform', job_platform) AS platform,
            ltrim(
                coalesce(
                    nullif(c.creator ->> 'handle', ''),
                    nullif(c.creator ->> 'uniqueId', ''),
                    nullif(entry ->> 'handle', ''),
                    nullif(entry ->> 'username', ''),
                    ''
                ),
                '@'
            ) AS handle,
            coalesce(c.creator -> 'name', entry -> 'full_name', entry -> 'name') AS name,
            coalesce(
                c.creator -> 'avatarUrl',
                c.creator -> 'profilePicUrl',
                entry -> 'profile_pic_url',
                entry -> 'profilePicUrl',
                entry -> 'thumbnail'
            ) AS avatar,
            coalesce(
                c.creator -> 'followers', entry -> 'followerCount', entry -> 'followers_count', entry -> 'followers'
            ) AS followers
        FROM (
            SELECT
                CASE
                    WHEN jsonb_typeof(entry -> 'creator') = 'object' THEN entry -> 'creator' ELSE '{}'::jsonb
                END AS creator
        ) AS c
    ) AS v
$$;

COMMENT ON FUNCTION api_polled_creator(jsonb, text, boolean, text) IS
'A stored creator entry with the fields the old frontend reads (CONTRACT.md, "Compatibility with the old frontend").';
