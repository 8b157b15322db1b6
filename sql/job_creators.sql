-- A job's creators, once each, from found_creators (kept by triggers as result
-- pages are stored, migration 0008), for the creators page and the CSV export;
-- each creator's entry is read from its result page at its position.
-- Each sort has its own index and its own branch of a UNION ALL; the branch
-- whose :sort_by does not match is switched off before it reads anything, so
-- one prepared plan reads a range of the right index for either sort. Each
-- branch orders and limits itself: a generic plan guesses a job's size from
-- the average job, and would rather sort all of a big job than merge ranges.

-- name: list_job_creators_page(user_id, job_id, min_followers, max_followers, has_email, hashtag, sort_by, after_value, after_key, page_size)^
-- One page of a user's job's creators, sorted by followers or engagement rate,
-- highest first, ties by creator key. Keyset pages pass the previous page's
-- last (value, key). Returns the page as JSON text, whether more follow, and
-- the last row's (value, key); no row when the job is absent or not the user's.
-- Index: found_creators_followers_idx, found_creators_engagement_idx (the page
-- starts at the previous page's last value; a followers range bounds the scan);
-- scraping_results_job_page_key for the page's entries.
-- nullable: min_followers, max_followers, has_email, hashtag, after_key
-- not null: creators, has_more
WITH job AS (
    SELECT id FROM scraping_jobs
    WHERE id = :job_id AND user_id = :user_id
),

lookahead AS (
    (
        SELECT
            f.job_id,
            f.creator_key,
            f.page,
            f.position,
            f.engagement_rate,
            f.followers AS sort_value
        FROM found_creators AS f
        WHERE
            :sort_by::text = 'followers'
            AND f.job_id = (SELECT id FROM job)
            AND f.followers <= coalesce(least(:after_value::numeric, :max_followers::numeric), 'Infinity')
            AND f.followers >= coalesce(:min_followers::numeric, '-Infinity')
            AND (:after_value::numeric IS NULL OR f.followers < :after_value OR f.creator_key > :after_key::text)
            AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
        ORDER BY f.followers DESC, f.creator_key ASC
        LIMIT :page_size::integer + 1
    )
    UNION ALL
    (
        SELECT
            f.job_id,
            f.creator_key,
            f.page,
            f.position,
            f.engagement_rate,
            f.engagement_rate AS sort_value
        FROM found_creators AS f
        WHERE
            :sort_by::text = 'engagement'
            AND f.job_id = (SELECT id FROM job)
            AND f.engagement_rate <= coalesce(:after_value::numeric, 'Infinity')
            AND (:after_value::numeric IS NULL OR f.engagement_rate < :after_value OR f.creator_key > :after_key::text)
            AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
        ORDER BY f.engagement_rate DESC, f.creator_key ASC
        LIMIT :page_size::integer + 1
    )
),

page AS (
    SELECT
        l.creator_key,
        l.sort_value,
        (r.creators -> (l.position - 1)) || jsonb_build_object('engagementRate', l.engagement_rate) AS creator
    FROM (
        SELECT
            job_id,
            creator_key,
            page,
            position,
            engagement_rate,
            sort_value
        FROM lookahead
        ORDER BY sort_value DESC, creator_key ASC LIMIT :page_size
    ) AS l
    INNER JOIN scraping_results AS r ON l.job_id = r.job_id AND l.page = r.page
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

-- name: export_job_creators_batch(job_id, min_followers, max_followers, has_email, hashtag, sort_by, after_value, after_key, batch_size)
-- The next batch of a job's filtered creators as CSV-ready columns, after the
-- previous batch's last (sort_value, creator_key), highest first. The export
-- reads batch by batch, each a short statement of its own, so no connection or
-- transaction is held while the client reads (the handler has checked the job
-- is the user's). Index: found_creators_followers_idx,
-- found_creators_engagement_idx (a range from the previous batch's last value);
-- scraping_results_job_page_key for each creator's entry.
-- nullable: min_followers, max_followers, has_email, hashtag, after_key
-- not null: sort_value, creator_key
SELECT
    c.followers,
    c.engagement_rate,
    c.sort_value,
    c.creator_key,
    e.entry ->> 'platform' AS platform,
    e.entry #>> '{creator,handle}' AS handle,
    e.entry #>> '{creator,name}' AS name,
    CASE WHEN jsonb_typeof(e.entry #> '{creator,emails}') = 'array' THEN (
        SELECT string_agg(email, '; ') FROM jsonb_array_elements_text(e.entry #> '{creator,emails}') AS email
    ) END AS emails,
    e.entry #>> '{creator,bio}' AS bio,
    e.entry #>> '{creator,avatarUrl}' AS avatar_url,
    e.entry #>> '{video,url}' AS video_url,
    e.entry #>> '{video,description}' AS video_description,
    json_number(e.entry #> '{video,statistics,likes}') AS likes,
    json_number(e.entry #> '{video,statistics,comments}') AS comments,
    json_number(e.entry #> '{video,statistics,shares}') AS shares,
    json_number(e.entry #> '{video,statistics,views}') AS views,
    CASE WHEN jsonb_typeof(e.entry -> 'hashtags') = 'array' THEN (
        SELECT string_agg(tag, ' ') FROM jsonb_array_elements_text(e.entry -> 'hashtags') AS tag
    ) END AS hashtags
FROM (
    (
        SELECT
            f.creator_key,
            f.page,
            f.position,
            f.followers,
            f.engagement_rate,
            f.followers AS sort_value
        FROM found_creators AS f
        WHERE
            :sort_by::text = 'followers'
            AND f.job_id = :job_id
            AND f.followers <= coalesce(least(:after_value::numeric, :max_followers::numeric), 'Infinity')
            AND f.followers >= coalesce(:min_followers::numeric, '-Infinity')
            AND (:after_value::numeric IS NULL OR f.followers < :after_value OR f.creator_key > :after_key::text)
            AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
        ORDER BY f.followers DESC, f.creator_key ASC
        LIMIT :batch_size::integer
    )
    UNION ALL
    (
        SELECT
            f.creator_key,
            f.page,
            f.position,
            f.followers,
            f.engagement_rate,
            f.engagement_rate AS sort_value
        FROM found_creators AS f
        WHERE
            :sort_by::text = 'engagement'
            AND f.job_id = :job_id
            AND f.engagement_rate <= coalesce(:after_value::numeric, 'Infinity')
            AND (:after_value::numeric IS NULL OR f.engagement_rate < :after_value OR f.creator_key > :after_key::text)
            AND creator_matches(f, :min_followers, :max_followers, :has_email, :hashtag)
        ORDER BY f.engagement_rate DESC, f.creator_key ASC
        LIMIT :batch_size::integer
    )
) AS c
INNER JOIN LATERAL (
    SELECT r.creators -> (c.position - 1) AS entry
    FROM scraping_results AS r
    WHERE r.job_id = :job_id AND r.page = c.page
    -- OFFSET 0 keeps this a subquery: pulled up, each use of e.entry below
    -- would decompress the whole page again. (One row by key: nothing to order.)
    OFFSET 0  -- noqa: AM09
) AS e ON TRUE
ORDER BY c.sort_value DESC, c.creator_key ASC;
