-- A job's creators, once each, from found_creators (kept by triggers as result
-- pages are stored, migration 0008), for the creators page and the CSV export.
-- Each sort has its own index and its own branch of a UNION ALL; the branch
-- whose :sort_by does not match is switched off before it reads anything, so
-- one prepared plan reads a range of the right index for either sort.

-- name: list_job_creators_page(user_id, job_id, min_followers, max_followers, has_email, hashtag, sort_by, after_value, after_key, page_size)^
-- One page of a user's job's creators, sorted by followers or engagement rate,
-- highest first, ties by creator key. Keyset pages pass the previous page's
-- last (value, key). Returns the page as JSON text, whether more follow, and
-- the last row's (value, key); no row when the job is absent or not the user's.
-- Index: found_creators_followers_idx, found_creators_engagement_idx (the page
-- starts at the previous page's last value; a followers range bounds the scan).
WITH job AS (
    SELECT id FROM scraping_jobs
    WHERE id = :job_id AND user_id = :user_id
),

sorted AS (
    SELECT
        f.creator_key,
        f.creator,
        f.followers AS sort_value
    FROM found_creators AS f
    WHERE
        :sort_by::text = 'followers'
        AND f.job_id = (SELECT id FROM job)
        AND f.followers <= coalesce(least(:after_value::numeric, :max_followers::numeric), 'Infinity')
        AND f.followers >= coalesce(:min_followers::numeric, '-Infinity')
        AND (:after_value IS NULL OR f.followers < :after_value OR f.creator_key > :after_key::text)
        AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
    UNION ALL
    SELECT
        f.creator_key,
        f.creator,
        f.engagement_rate
    FROM found_creators AS f
    WHERE
        :sort_by::text = 'engagement'
        AND f.job_id = (SELECT id FROM job)
        AND f.engagement_rate <= coalesce(:after_value, 'Infinity')
        AND (:after_value IS NULL OR f.engagement_rate < :after_value OR f.creator_key > :after_key)
        AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
),

lookahead AS (
    SELECT
        creator_key,
        creator,
        sort_value
    FROM sorted
    ORDER BY sort_value DESC, creator_key ASC
    LIMIT :page_size::integer + 1
),

page AS (
    SELECT
        creator_key,
        creator,
        sort_value
    FROM lookahead
    ORDER BY sort_value DESC, creator_key ASC LIMIT :page_size
),

last_row AS (
    SELECT
        sort_value,
        creator_key
    FROM page
    ORDER BY sort_value ASC, creator_key DESC LIMIT 1
)

SELECT
    (SELECT coalesce(jsonb_agg(creator ORDER BY sort_value DESC, creator_key ASC), '[]'::jsonb) FROM page
    )::text AS creators,
    (SELECT count(*) FROM lookahead) > :page_size AS has_more,
    (SELECT sort_value FROM last_row) AS last_value,
    (SELECT creator_key FROM last_row) AS last_key
FROM job;

-- name: export_job_creators(job_id, min_followers, max_followers, has_email, hashtag, sort_by)
-- Every filtered creator of a job as CSV-ready columns, in page order, read
-- through a server-side cursor (the handler has checked the job is the user's).
-- Index: found_creators_followers_idx, found_creators_engagement_idx.
SELECT
    c.followers,
    c.engagement_rate,
    c.creator ->> 'platform' AS platform,
    c.creator #>> '{creator,handle}' AS handle,
    c.creator #>> '{creator,name}' AS name,
    CASE WHEN jsonb_typeof(c.creator #> '{creator,emails}') = 'array' THEN (
        SELECT string_agg(email, '; ') FROM jsonb_array_elements_text(c.creator #> '{creator,emails}') AS email
    ) END AS emails,
    c.creator #>> '{creator,bio}' AS bio,
    c.creator #>> '{creator,avatarUrl}' AS avatar_url,
    c.creator #>> '{video,url}' AS video_url,
    c.creator #>> '{video,description}' AS video_description,
    json_number(c.creator #> '{video,statistics,likes}') AS likes,
    json_number(c.creator #> '{video,statistics,comments}') AS comments,
    json_number(c.creator #> '{video,statistics,shares}') AS shares,
    json_number(c.creator #> '{video,statistics,views}') AS views,
    CASE WHEN jsonb_typeof(c.creator -> 'hashtags') = 'array' THEN (
        SELECT string_agg(tag, ' ') FROM jsonb_array_elements_text(c.creator -> 'hashtags') AS tag
    ) END AS hashtags
FROM (
    SELECT
        f.creator_key,
        f.creator,
        f.followers,
        f.engagement_rate,
        f.followers AS sort_value
    FROM found_creators AS f
    WHERE
        :sort_by::text = 'followers'
        AND f.job_id = :job_id
        AND f.followers <= coalesce(:max_followers::numeric, 'Infinity')
        AND f.followers >= coalesce(:min_followers::numeric, '-Infinity')
        AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
    UNION ALL
    SELECT
        f.creator_key,
        f.creator,
        f.followers,
        f.engagement_rate,
        f.engagement_rate AS sort_value
    FROM found_creators AS f
    WHERE
        :sort_by::text = 'engagement'
        AND f.job_id = :job_id
        AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
) AS c
ORDER BY c.sort_value DESC, c.creator_key ASC;
