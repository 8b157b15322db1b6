-- A campaign's creators across all its searches (campaign_creators, kept by
-- triggers as pages are stored, migration 0022), with the brand's status and
-- note per creator and the history of their changes. Each creator's entry is
-- read from the result page it was last seen on.
-- The page has one branch per sort (followers, engagement, recently found),
-- each reading a range of its own index, and one for a text search, which
-- reads the GIN index and sorts its matches; the branches whose conditions
-- do not hold are switched off before they read anything, so one prepared
-- plan serves every request.

-- name: list_campaign_creators_page(user_id, campaign_id, platform, min_followers, max_followers, has_email, hashtag, status, text_query, sort_by, after_value, after_found_at, after_key, page_size)^
-- One page of a user's campaign's creators, highest first by followers,
-- engagement rate or when last found, ties by creator key. Keyset pages pass
-- the previous page's last (value or found_at, key). Returns the page as JSON
-- text, whether more follow, and the last row's sort values; no row when the
-- campaign is absent or not the user's.
-- Index: campaign_creators_followers_idx, campaign_creators_engagement_idx,
-- campaign_creators_found_idx, campaign_creators_search_idx (text search);
-- scraping_results_job_page_key for the entries, scraping_jobs_pkey for the searches.
-- nullable: platform, min_followers, max_followers, has_email, hashtag, status, text_query, after_key
-- not null: creators, has_more
WITH campaign AS (
    SELECT id FROM campaigns
    WHERE id = :campaign_id AND user_id = :user_id
),

lookahead AS (
    (
        SELECT
            m.creator_key,
            m.job_id,
            m.page,
            m.position,
            m.job_ids,
            m.followers,
            m.engagement_rate,
            m.found_at,
            m.status,
            m.note,
            m.status_changed_at,
            m.followers AS sort_value
        FROM campaign_creators AS m
        WHERE
            m.campaign_id = (SELECT id FROM campaign)
            AND :sort_by::text = 'followers' AND :text_query::text IS NULL
            AND m.followers <= coalesce(least(:after_value::numeric, :max_followers::numeric), 'Infinity')
            AND m.followers >= coalesce(:min_followers::numeric, '-Infinity')
            AND (:after_value::numeric IS NULL OR m.followers < :after_value OR m.creator_key > :after_key::text)
            AND (:platform::text IS NULL OR m.platform = :platform)
            AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
            AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
            AND (:status::text IS NULL OR m.status = :status)
        ORDER BY m.followers DESC, m.creator_key ASC
        LIMIT :page_size::integer + 1
    )
    UNION ALL
    (
        SELECT
            m.creator_key,
            m.job_id,
            m.page,
            m.position,
            m.job_ids,
            m.followers,
            m.engagement_rate,
            m.found_at,
            m.status,
            m.note,
            m.status_changed_at,
            m.engagement_rate AS sort_value
        FROM campaign_creators AS m
        WHERE
            m.campaign_id = (SELECT id FROM campaign)
            AND :sort_by::text = 'engagement' AND :text_query::text IS NULL
            AND m.engagement_rate <= coalesce(:after_value::numeric, 'Infinity')
            AND (:after_value::numeric IS NULL OR m.engagement_rate < :after_value OR m.creator_key > :after_key::text)
            AND (:min_followers::numeric IS NULL OR m.followers >= :min_followers)
            AND (:max_followers::numeric IS NULL OR m.followers <= :max_followers)
            AND (:platform::text IS NULL OR m.platform = :platform)
            AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
            AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
            AND (:status::text IS NULL OR m.status = :status)
        ORDER BY m.engagement_rate DESC, m.creator_key ASC
        LIMIT :page_size::integer + 1
    )
    UNION ALL
    (
        SELECT
            m.creator_key,
            m.job_id,
            m.page,
            m.position,
            m.job_ids,
            m.followers,
            m.engagement_rate,
            m.found_at,
            m.status,
            m.note,
            m.status_changed_at,
            extract(EPOCH FROM m.found_at) AS sort_value
        FROM campaign_creators AS m
        WHERE
            m.campaign_id = (SELECT id FROM campaign)
            AND :sort_by::text = 'recent' AND :text_query::text IS NULL
            AND m.found_at <= coalesce(:after_found_at::timestamptz, 'infinity')
            AND (
                :after_found_at::timestamptz IS NULL
                OR m.found_at < :after_found_at
                OR m.creator_key > :after_key::text
            )
            AND (:min_followers::numeric IS NULL OR m.followers >= :min_followers)
            AND (:max_followers::numeric IS NULL OR m.followers <= :max_followers)
            AND (:platform::text IS NULL OR m.platform = :platform)
            AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
            AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
            AND (:status::text IS NULL OR m.status = :status)
        ORDER BY m.found_at DESC, m.creator_key ASC
        LIMIT :page_size::integer + 1
    )
    UNION ALL
    (
        SELECT t.*
        FROM (
            SELECT
                m.creator_key,
                m.job_id,
                m.page,
                m.position,
                m.job_ids,
                m.followers,
                m.engagement_rate,
                m.found_at,
                m.status,
                m.note,
                m.status_changed_at,
                CASE :sort_by::text
                    WHEN 'followers' THEN m.followers
                    WHEN 'engagement' THEN m.engagement_rate
                    ELSE extract(EPOCH FROM m.found_at)
                END AS sort_value
            FROM campaign_creators AS m
            WHERE
                m.campaign_id = (SELECT id FROM campaign)
                AND :text_query::text IS NOT NULL
                AND m.search_text @@ websearch_to_tsquery('simple', :text_query)
                AND (:min_followers::numeric IS NULL OR m.followers >= :min_followers)
                AND (:max_followers::numeric IS NULL OR m.followers <= :max_followers)
                AND (:platform::text IS NULL OR m.platform = :platform)
                AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
                AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
                AND (:status::text IS NULL OR m.status = :status)
        ) AS t
        WHERE
            coalesce(:after_value::numeric, extract(EPOCH FROM :after_found_at::timestamptz)) IS NULL
            OR t.sort_value < coalesce(:after_value::numeric, extract(EPOCH FROM :after_found_at::timestamptz))
            OR (
                t.sort_value = coalesce(:after_value::numeric, extract(EPOCH FROM :after_found_at::timestamptz))
                AND t.creator_key > :after_key::text
            )
        ORDER BY t.sort_value DESC, t.creator_key ASC
        LIMIT :page_size::integer + 1
    )
),

page AS (
    SELECT
        l.creator_key,
        l.sort_value,
        l.found_at,
        (r.creators -> (l.position - 1))
        || jsonb_build_object(
            'engagementRate', l.engagement_rate,
            'status', l.status,
            'note', l.note,
            'statusChangedAt', l.status_changed_at,
            'foundAt', l.found_at,
            'searches', (
                SELECT
                    coalesce(
                        jsonb_agg(
                            jsonb_build_object(
                                'jobId', j.id,
                                'platform', j.platform,
                                'keywords', j.keywords,
                                'targetUsername', j.target_username
                            )
                            ORDER BY j.created_at, j.id
                        ),
                        '[]'::jsonb
                    )
                FROM scraping_jobs AS j
                WHERE j.id = any(l.job_ids)
            )
        ) AS creator
    FROM (
        SELECT *
        FROM lookahead
        ORDER BY sort_value DESC, creator_key ASC LIMIT :page_size
    ) AS l
    INNER JOIN scraping_results AS r ON l.job_id = r.job_id AND l.page = r.page
),

last_row AS (
    SELECT
        sort_value,
        found_at,
        creator_key
    FROM page
    ORDER BY sort_value ASC, creator_key DESC LIMIT 1
)

SELECT
    (SELECT coalesce(jsonb_agg(creator ORDER BY sort_value DESC, creator_key ASC), '[]'::jsonb) FROM page
    )::text AS creators,
    (SELECT count(*) FROM lookahead) > :page_size AS has_more,
    (SELECT sort_value FROM last_row) AS last_value,
    (SELECT found_at FROM last_row) AS last_found_at,
    (SELECT creator_key FROM last_row) AS last_key
FROM campaign;

-- name: get_campaign_creator(user_id, campaign_id, creator_key)$
-- One creator of a user's campaign with its status, note and their history
-- (oldest change first), as API JSON text; NULL when the campaign is not the
-- user's or the creator is not in its list.
-- Index: campaign_creators_pkey, campaign_creator_changes_creator_idx.
SELECT
    (
        (r.creators -> (c.position - 1))
        || jsonb_build_object(
            'engagementRate', c.engagement_rate,
            'status', c.status,
            'note', c.note,
            'statusChangedAt', c.status_changed_at,
            'foundAt', c.found_at,
            'searches', (
                SELECT
                    coalesce(
                        jsonb_agg(
                            jsonb_build_object(
                                'jobId', j.id,
                                'platform', j.platform,
                                'keywords', j.keywords,
                                'targetUsername', j.target_username
                            )
                            ORDER BY j.created_at, j.id
                        ),
                        '[]'::jsonb
                    )
                FROM scraping_jobs AS j
                WHERE j.id = any(c.job_ids)
            ),
            'history', (
                SELECT
                    coalesce(
                        jsonb_agg(
                            jsonb_build_object(
                                'changedAt', h.changed_at,
                                'fromStatus', h.from_status,
                                'toStatus', h.to_status,
                                'fromNote', h.from_note,
                                'toNote', h.to_note
                            )
                            ORDER BY h.id
                        ),
                        '[]'::jsonb
                    )
                FROM campaign_creator_changes AS h
                WHERE h.campaign_id = c.campaign_id AND h.creator_key = c.creator_key
            )
        )
    )::text
FROM campaign_creators AS c
INNER JOIN campaigns AS p ON c.campaign_id = p.id
INNER JOIN scraping_results AS r ON c.job_id = r.job_id AND c.page = r.page
WHERE c.campaign_id = :campaign_id AND c.creator_key = :creator_key AND p.user_id = :user_id;

-- name: set_campaign_creator_status(user_id, campaign_id, creator_key, status, note)$
-- Set a creator's status and note in a user's campaign (NULL clears either),
-- recording the change in its history when something changed; returns whether
-- the creator is in the campaign's list (NULL when not, or not the user's).
-- Index: campaign_creators_pkey.
-- nullable: status, note
WITH target AS (
    SELECT
        c.campaign_id,
        c.creator_key,
        c.status,
        c.note
    FROM campaign_creators AS c
    INNER JOIN campaigns AS p ON c.campaign_id = p.id
    WHERE c.campaign_id = :campaign_id AND c.creator_key = :creator_key AND p.user_id = :user_id
    FOR UPDATE OF c
),

changed AS (
    UPDATE campaign_creators AS c
    SET
        status = :status::text,
        note = :note::text,
        status_changed_at = now()
    FROM target AS t
    WHERE
        c.campaign_id = t.campaign_id AND c.creator_key = t.creator_key
        AND (t.status IS DISTINCT FROM :status::text OR t.note IS DISTINCT FROM :note::text)
    RETURNING t.campaign_id, t.creator_key, t.status AS from_status, t.note AS from_note
),

recorded AS (
    INSERT INTO campaign_creator_changes (campaign_id, creator_key, from_status, to_status, from_note, to_note)
    SELECT
        campaign_id,
        creator_key,
        from_status,
        :status::text,
        from_note,
        :note::text
    FROM changed
    RETURNING id
)

SELECT (SELECT count(*) FROM recorded) >= 0 AS found
FROM target;

-- name: export_campaign_creators_batch(user_id, campaign_id, platform, min_followers, max_followers, has_email, hashtag, status, text_query, sort_by, after_value, after_found_at, after_key, batch_size)
-- The next batch of a user's campaign's filtered creators as CSV-ready
-- columns (with the brand's status and note), after the previous batch's last
-- (sort value or found_at, creator key), in the order of the list. The export
-- reads batch by batch, each a short statement of its own, so nothing is held
-- while the client reads. No rows when the campaign is not the user's.
-- Index: as list_campaign_creators_page.
-- nullable: platform, min_followers, max_followers, has_email, hashtag, status, text_query, after_key
-- not null: sort_value, found_at, creator_key
WITH campaign AS (
    SELECT id FROM campaigns
    WHERE id = :campaign_id AND user_id = :user_id
),

matching AS (
    (
        SELECT
            m.creator_key,
            m.job_id,
            m.page,
            m.position,
            m.job_ids,
            m.followers,
            m.engagement_rate,
            m.found_at,
            m.status,
            m.note,
            m.status_changed_at,
            m.followers AS sort_value
        FROM campaign_creators AS m
        WHERE
            m.campaign_id = (SELECT id FROM campaign)
            AND :sort_by::text = 'followers' AND :text_query::text IS NULL
            AND m.followers <= coalesce(least(:after_value::numeric, :max_followers::numeric), 'Infinity')
            AND m.followers >= coalesce(:min_followers::numeric, '-Infinity')
            AND (:after_value::numeric IS NULL OR m.followers < :after_value OR m.creator_key > :after_key::text)
            AND (:platform::text IS NULL OR m.platform = :platform)
            AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
            AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
            AND (:status::text IS NULL OR m.status = :status)
        ORDER BY m.followers DESC, m.creator_key ASC
        LIMIT :batch_size::integer
    )
    UNION ALL
    (
        SELECT
            m.creator_key,
            m.job_id,
            m.page,
            m.position,
            m.job_ids,
            m.followers,
            m.engagement_rate,
            m.found_at,
            m.status,
            m.note,
            m.status_changed_at,
            m.engagement_rate AS sort_value
        FROM campaign_creators AS m
        WHERE
            m.campaign_id = (SELECT id FROM campaign)
            AND :sort_by::text = 'engagement' AND :text_query::text IS NULL
            AND m.engagement_rate <= coalesce(:after_value::numeric, 'Infinity')
            AND (:after_value::numeric IS NULL OR m.engagement_rate < :after_value OR m.creator_key > :after_key::text)
            AND (:min_followers::numeric IS NULL OR m.followers >= :min_followers)
            AND (:max_followers::numeric IS NULL OR m.followers <= :max_followers)
            AND (:platform::text IS NULL OR m.platform = :platform)
            AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
            AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
            AND (:status::text IS NULL OR m.status = :status)
        ORDER BY m.engagement_rate DESC, m.creator_key ASC
        LIMIT :batch_size::integer
    )
    UNION ALL
    (
        SELECT
            m.creator_key,
            m.job_id,
            m.page,
            m.position,
            m.job_ids,
            m.followers,
            m.engagement_rate,
            m.found_at,
            m.status,
            m.note,
            m.status_changed_at,
            extract(EPOCH FROM m.found_at) AS sort_value
        FROM campaign_creators AS m
        WHERE
            m.campaign_id = (SELECT id FROM campaign)
            AND :sort_by::text = 'recent' AND :text_query::text IS NULL
            AND m.found_at <= coalesce(:after_found_at::timestamptz, 'infinity')
            AND (
                :after_found_at::timestamptz IS NULL
                OR m.found_at < :after_found_at
                OR m.creator_key > :after_key::text
            )
            AND (:min_followers::numeric IS NULL OR m.followers >= :min_followers)
            AND (:max_followers::numeric IS NULL OR m.followers <= :max_followers)
            AND (:platform::text IS NULL OR m.platform = :platform)
            AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
            AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
            AND (:status::text IS NULL OR m.status = :status)
        ORDER BY m.found_at DESC, m.creator_key ASC
        LIMIT :batch_size::integer
    )
    UNION ALL
    (
        SELECT t.*
        FROM (
            SELECT
                m.creator_key,
                m.job_id,
                m.page,
                m.position,
                m.job_ids,
                m.followers,
                m.engagement_rate,
                m.found_at,
                m.status,
                m.note,
                m.status_changed_at,
                CASE :sort_by::text
                    WHEN 'followers' THEN m.followers
                    WHEN 'engagement' THEN m.engagement_rate
                    ELSE extract(EPOCH FROM m.found_at)
                END AS sort_value
            FROM campaign_creators AS m
            WHERE
                m.campaign_id = (SELECT id FROM campaign)
                AND :text_query::text IS NOT NULL
                AND m.search_text @@ websearch_to_tsquery('simple', :text_query)
                AND (:min_followers::numeric IS NULL OR m.followers >= :min_followers)
                AND (:max_followers::numeric IS NULL OR m.followers <= :max_followers)
                AND (:platform::text IS NULL OR m.platform = :platform)
                AND (:has_email::boolean IS NULL OR m.has_email = :has_email)
                AND (:hashtag::text IS NULL OR lower(:hashtag) = any(m.hashtags))
                AND (:status::text IS NULL OR m.status = :status)
        ) AS t
        WHERE
            coalesce(:after_value::numeric, extract(EPOCH FROM :after_found_at::timestamptz)) IS NULL
            OR t.sort_value < coalesce(:after_value::numeric, extract(EPOCH FROM :after_found_at::timestamptz))
            OR (
                t.sort_value = coalesce(:after_value::numeric, extract(EPOCH FROM :after_found_at::timestamptz))
                AND t.creator_key > :after_key::text
            )
        ORDER BY t.sort_value DESC, t.creator_key ASC
        LIMIT :batch_size::integer
    )
)

SELECT
    m.followers,
    m.engagement_rate,
    m.sort_value,
    m.found_at,
    m.creator_key,
    m.status,
    m.note,
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
FROM matching AS m
INNER JOIN LATERAL (
    SELECT r.creators -> (m.position - 1) AS entry
    FROM scraping_results AS r
    WHERE r.job_id = m.job_id AND r.page = m.page
    -- OFFSET 0 keeps this a subquery: pulled up, each use of e.entry below
    -- would decompress the whole page again. (One row by key: nothing to order.)
    OFFSET 0  -- noqa: AM09
) AS e ON TRUE
ORDER BY m.sort_value DESC, m.creator_key ASC;

-- name: campaign_exists(user_id, campaign_id)$
-- Whether the campaign exists and is the user's (before an export's status line goes out).
-- Index: campaigns_pkey.
-- not null
SELECT exists(
    SELECT FROM campaigns
    WHERE id = :campaign_id AND user_id = :user_id
);
