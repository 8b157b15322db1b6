-- The creators views read every shape of creator entry the old system stored
-- (adopted by 0010), not only ours ({creator: {handle, name, followers,
-- emails}, ...}): nested without a handle (TikTok keyword: the name keys it),
-- nested with creator.uniqueId (Instagram), nested plus flat fields (Instagram
-- similar), and flat only (TikTok and YouTube similar: handle or username,
-- followerCount / followers_count / followers, emails). For our own entries
-- the key and the values are as before (they always have creator.handle), so
-- a database of ours keeps its found_creators rows as they are; an adopted
-- one, whose backfill 0008 left out, is filled here.
-- depends: 0011_legacy_tables_as_they_are

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '30min';

CREATE OR REPLACE FUNCTION latest_sightings(pages scraping_results[]) RETURNS SETOF found_creators
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- One statement calling only functions the planner inlines, so that it is
    -- inlined into the trigger's upsert (a function per entry cost 16 us more).
    SELECT DISTINCT ON (r.job_id, seen.creator_key)
        r.job_id,
        seen.creator_key,
        r.page,
        c.position::integer,
        seen.followers,
        CASE
            WHEN seen.views > 0 THEN round((seen.likes + seen.comments + seen.shares) / seen.views, 4)
            ELSE 0
        END,
        coalesce(
            jsonb_typeof(c.entry #> '{creator,emails}') = 'array'
            AND jsonb_array_length(c.entry #> '{creator,emails}') > 0,
            FALSE
        ) OR coalesce(
            jsonb_typeof(c.entry -> 'emails') = 'array' AND jsonb_array_length(c.entry -> 'emails') > 0,
            FALSE
        ),
        CASE
            WHEN jsonb_typeof(c.entry -> 'hashtags') = 'array' THEN
                array(SELECT lower(tag) FROM jsonb_array_elements_text(c.entry -> 'hashtags') AS tag)
            ELSE '{}'
        END
    FROM unnest(pages) AS r
    CROSS JOIN LATERAL jsonb_array_elements(r.creators) WITH ORDINALITY AS c (entry, position)
    CROSS JOIN LATERAL (
        SELECT
            coalesce(c.entry ->> 'platform', '') || ':' || lower(coalesce(
                nullif(c.entry #>> '{creator,handle}', ''),
                nullif(c.entry #>> '{creator,uniqueId}', ''),
                nullif(c.entry ->> 'handle', ''),
                nullif(c.entry ->> 'username', ''),
                c.entry #>> '{creator,name}',
                c.entry ->> 'name',
                c.entry ->> 'full_name',
                ''
            )) AS creator_key,
            -- Old entries may hold a placeholder 0 beside the real count.
            greatest(
                json_number(c.entry #> '{creator,followers}'),
                json_number(c.entry -> 'followerCount'),
                json_number(c.entry -> 'followers_count'),
                json_number(c.entry -> 'followers')
            ) AS followers,
            json_number(c.entry #> '{video,statistics,likes}') AS likes,
            json_number(c.entry #> '{video,statistics,comments}') AS comments,
            json_number(c.entry #> '{video,statistics,shares}') AS shares,
            json_number(c.entry #> '{video,statistics,views}') AS views
    ) AS seen
    -- Key order is also the order the upsert locks rows in: no two writers wait crosswise.
    ORDER BY r.job_id, seen.creator_key, r.page DESC, c.position DESC
$$;

COMMENT ON FUNCTION latest_sightings(scraping_results[]) IS
'One found_creators row per creator of the given result pages, as last seen in them (entries of every shape '
'ours and the old system stored).';

-- Adopted: the result pages are locked against writes until this commits (the
-- service is not running yet), so the backfill sees every page once.
INSERT INTO found_creators
SELECT seen.*
FROM scraping_jobs AS j
CROSS JOIN
    LATERAL latest_sightings(array(
        SELECT r FROM scraping_results AS r
        WHERE r.job_id = j.id
    )) AS seen
WHERE EXISTS (SELECT FROM legacy_adoption);
