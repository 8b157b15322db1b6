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

-- One stored creator entry as the polling route gives it. Every entry's
-- nested `creator` gains `uniqueId` (its handle) and `profilePicUrl` (its
-- avatar), which the progress card reads. A similar search's entries also get
-- the flat fields the similar results page reads (the old worker stored them
-- flat): id, username, name, full_name, handle, profile_pic_url, profileUrl,
-- is_verified, is_private, bio, emails, followerCount. `id` is entry_id, the
-- entry's place in the job ("page.position"): unique and stable across polls
-- (the results page keys its rows by it; a handle can come back on a later page).
-- An entry that is not an object is returned as it is.
CREATE FUNCTION api_polled_creator(entry jsonb, is_similar boolean, entry_id text) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN jsonb_typeof(entry) <> 'object' THEN entry
        ELSE entry || jsonb_build_object(
            'creator', c.creator || jsonb_build_object(
                'uniqueId', coalesce(c.creator -> 'uniqueId', c.creator -> 'handle'),
                'profilePicUrl', coalesce(c.creator -> 'profilePicUrl', c.creator -> 'avatarUrl')
            )
        ) || CASE
            WHEN NOT is_similar THEN '{}'::jsonb
            ELSE jsonb_build_object(
                'id', entry_id,
                'username', c.handle,
                'handle', c.handle,
                'name', c.creator -> 'name',
                'full_name', c.creator -> 'name',
                'profile_pic_url', coalesce(c.creator -> 'avatarUrl', c.creator -> 'profilePicUrl'),
                'profileUrl', CASE
                    WHEN ltrim(c.handle, '@') = '' THEN NULL
                    WHEN entry ->> 'platform' = 'TikTok' THEN 'https://www.tiktok.com/@' || ltrim(c.handle, '@')
                    -- a YouTube channel without a handle goes by its id
                    WHEN
                        entry ->> 'platform' = 'YouTube' AND c.handle ~ '^UC[A-Za-z0-9_-]{22}$'
                        THEN 'https://www.youtube.com/channel/' || c.handle
                    WHEN entry ->> 'platform' = 'YouTube' THEN 'https://www.youtube.com/@' || ltrim(c.handle, '@')
                    ELSE 'https://www.instagram.com/' || ltrim(c.handle, '@') || '/'
                END,
                'is_verified', CASE
                    WHEN jsonb_typeof(c.creator -> 'verified') = 'boolean' THEN c.creator -> 'verified' ELSE 'false'
                END,
                'is_private', CASE
                    WHEN jsonb_typeof(c.creator -> 'private') = 'boolean' THEN c.creator -> 'private' ELSE 'false'
                END,
                'bio', coalesce(c.creator ->> 'bio', ''),
                'emails', CASE
                    WHEN jsonb_typeof(c.creator -> 'emails') = 'array' THEN c.creator -> 'emails' ELSE '[]'::jsonb
                END,
                'followerCount', c.creator -> 'followers'
            )
        END
    END
    FROM (
        SELECT
            CASE
                WHEN jsonb_typeof(entry -> 'creator') = 'object' THEN entry -> 'creator' ELSE '{}'::jsonb
            END AS creator,
            coalesce(entry #>> '{creator,handle}', '') AS handle
    ) AS c
$$;

COMMENT ON FUNCTION api_polled_creator(jsonb, boolean, text) IS
'A stored creator entry with the fields the old frontend reads (CONTRACT.md, "Compatibility with the old frontend").';
