-- latest_sightings() as 0008 defined it: only our entry shape is keyed. The
-- kept rows of an adopted database stay as they are (0008's rollback drops them).

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

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
                nullif(c.entry #>> '{creator,handle}', ''), c.entry #>> '{creator,name}', ''
            )) AS creator_key,
            json_number(c.entry #> '{creator,followers}') AS followers,
            json_number(c.entry #> '{video,statistics,likes}') AS likes,
            json_number(c.entry #> '{video,statistics,comments}') AS comments,
            json_number(c.entry #> '{video,statistics,shares}') AS shares,
            json_number(c.entry #> '{video,statistics,views}') AS views
    ) AS seen
    -- Key order is also the order the upsert locks rows in: no two writers wait crosswise.
    ORDER BY r.job_id, seen.creator_key, r.page DESC, c.position DESC
$$;

COMMENT ON FUNCTION latest_sightings(scraping_results[]) IS
'One found_creators row per creator of the given result pages, as last seen in them.';
