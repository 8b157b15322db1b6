-- The creators of a job, once each, filtered: what both the creators page and
-- the CSV export of a job read. Pages overlap (a creator can be found by
-- several steps), so each creator (platform + handle, ignoring case; the name
-- when a provider gave no handle) is kept once, as last seen: the latest page,
-- the last position in it. Scraped values are untrusted, so numbers are read
-- only when they are JSON numbers (anything else counts as 0).
-- Both functions are single SQL statements: the planner inlines them.
-- depends: 0001_core_schema

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE FUNCTION json_number(value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'number' THEN value::numeric ELSE 0 END
$$;

COMMENT ON FUNCTION json_number(jsonb) IS 'A JSON number as numeric; 0 for anything else (null, text, missing).';

CREATE FUNCTION job_creators(
    p_job_id uuid, p_min_followers numeric, p_max_followers numeric, p_has_email boolean, p_hashtag text
)
RETURNS TABLE (creator_key text, entry jsonb, followers numeric, engagement_rate numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT measured.creator_key, measured.entry, measured.followers, measured.engagement_rate
    FROM (
        SELECT
            latest.creator_key,
            latest.entry,
            json_number(latest.entry #> '{creator,followers}') AS followers,
            CASE
                WHEN json_number(latest.entry #> '{video,statistics,views}') > 0 THEN round(
                    (
                        json_number(latest.entry #> '{video,statistics,likes}')
                        + json_number(latest.entry #> '{video,statistics,comments}')
                        + json_number(latest.entry #> '{video,statistics,shares}')
                    ) / json_number(latest.entry #> '{video,statistics,views}'),
                    4
                )
                ELSE 0
            END AS engagement_rate,
            coalesce(
                jsonb_typeof(latest.entry #> '{creator,emails}') = 'array'
                AND jsonb_array_length(latest.entry #> '{creator,emails}') > 0,
                false
            ) AS has_email,
            CASE WHEN jsonb_typeof(latest.entry -> 'hashtags') = 'array' THEN latest.entry -> 'hashtags' END
                AS hashtags
        FROM (
            SELECT DISTINCT ON (sighting.creator_key) sighting.creator_key, sighting.entry
            FROM (
                SELECT
                    coalesce(c.entry ->> 'platform', '') || ':' || lower(coalesce(
                        nullif(c.entry #>> '{creator,handle}', ''), c.entry #>> '{creator,name}', ''
                    )) AS creator_key,
                    c.entry,
                    r.page,
                    c.position
                FROM scraping_results AS r
                CROSS JOIN LATERAL jsonb_array_elements(r.creators) WITH ORDINALITY AS c (entry, position)
                WHERE r.job_id = p_job_id
            ) AS sighting
            ORDER BY sighting.creator_key, sighting.page DESC, sighting.position DESC
        ) AS latest
    ) AS measured
    WHERE (p_min_followers IS NULL OR measured.followers >= p_min_followers)
        AND (p_max_followers IS NULL OR measured.followers <= p_max_followers)
        AND (p_has_email IS NULL OR measured.has_email = p_has_email)
        AND (
            p_hashtag IS NULL
            OR EXISTS (
                SELECT FROM jsonb_array_elements_text(coalesce(measured.hashtags, '[]')) AS tag
                WHERE lower(tag) = lower(p_hashtag)
            )
        )
$$;

COMMENT ON FUNCTION job_creators(uuid, numeric, numeric, boolean, text) IS
'One row per creator of a job, as last seen, filtered (NULL: no filter) by followers, having an email, '
'and a hashtag (ignoring case); engagement rate = (likes + comments + shares) / views of the video, '
'4 decimals, 0 without views.';
