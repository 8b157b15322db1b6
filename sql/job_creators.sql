-- A job's creators, deduplicated and filtered by job_creators() (migration
-- 0004), for the creators page and the CSV export.
-- Index: scraping_results_job_page_key (all result pages of one job).

-- name: list_job_creators_page(user_id, job_id, min_followers, max_followers, has_email, hashtag, sort_by, after_value, after_key, page_size)^
-- One page of a user's job's creators, sorted by followers or engagement rate,
-- highest first, ties by creator key. Keyset pages pass the previous page's
-- last (value, key). Returns the page as JSON text, whether more follow, and
-- the last row's (value, key); no row when the job is absent or not the user's.
WITH job AS (
    SELECT id FROM scraping_jobs
    WHERE id = :job_id AND user_id = :user_id
),

matching AS (
    SELECT
        c.creator_key,
        c.entry || jsonb_build_object('engagementRate', c.engagement_rate) AS creator,
        CASE WHEN :sort_by::text = 'engagement' THEN c.engagement_rate ELSE c.followers END AS sort_value
    FROM job
    CROSS JOIN LATERAL job_creators(job.id, :min_followers, :max_followers, :has_email, :hashtag) AS c
),

lookahead AS (
    SELECT
        creator_key,
        creator,
        sort_value
    FROM matching
    WHERE
        :after_value::numeric IS NULL
        OR sort_value < :after_value
        OR (sort_value = :after_value AND creator_key > :after_key::text)
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
SELECT
    c.followers,
    c.engagement_rate,
    c.entry ->> 'platform' AS platform,
    c.entry #>> '{creator,handle}' AS handle,
    c.entry #>> '{creator,name}' AS name,
    CASE WHEN jsonb_typeof(c.entry #> '{creator,emails}') = 'array' THEN (
        SELECT string_agg(email, '; ') FROM jsonb_array_elements_text(c.entry #> '{creator,emails}') AS email
    ) END AS emails,
    c.entry #>> '{creator,bio}' AS bio,
    c.entry #>> '{creator,avatarUrl}' AS avatar_url,
    c.entry #>> '{video,url}' AS video_url,
    c.entry #>> '{video,description}' AS video_description,
    json_number(c.entry #> '{video,statistics,likes}') AS likes,
    json_number(c.entry #> '{video,statistics,comments}') AS comments,
    json_number(c.entry #> '{video,statistics,shares}') AS shares,
    json_number(c.entry #> '{video,statistics,views}') AS views,
    CASE WHEN jsonb_typeof(c.entry -> 'hashtags') = 'array' THEN (
        SELECT string_agg(tag, ' ') FROM jsonb_array_elements_text(c.entry -> 'hashtags') AS tag
    ) END AS hashtags
FROM job_creators(:job_id, :min_followers, :max_followers, :has_email, :hashtag) AS c
ORDER BY CASE WHEN :sort_by::text = 'engagement' THEN c.engagement_rate ELSE c.followers END DESC, c.creator_key;
