-- Brings back the functions migration 0009 dropped, as migrations 0003 and 0004 defined them.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE FUNCTION campaign_json(c campaigns) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
        'id', c.id,
        'userId', c.user_id,
        'name', c.name,
        'description', c.description,
        'searchType', c.search_type,
        'status', c.status,
        'createdAt', c.created_at,
        'updatedAt', c.updated_at
    )
$$;

COMMENT ON FUNCTION campaign_json(campaigns) IS 'API shape of a campaign (CONTRACT.md "Campaign").';

CREATE FUNCTION job_json(j scraping_jobs) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
        'id', j.id,
        'userId', j.user_id,
        'campaignId', j.campaign_id,
        'keywords', j.keywords,
        'targetUsername', j.target_username,
        'platform', j.platform,
        'region', j.region,
        'targetResults', j.target_results,
        'status', j.status,
        'runId', j.run_id,
        'processedRuns', j.processed_runs,
        'processedResults', j.processed_results,
        'progress', j.progress,
        'cursor', j.cursor,
        'searchParams', j.search_params,
        'error', j.error,
        'timeoutAt', j.timeout_at,
        'createdAt', j.created_at,
        'startedAt', j.started_at,
        'completedAt', j.completed_at,
        'updatedAt', j.updated_at
    )
$$;

COMMENT ON FUNCTION job_json(scraping_jobs) IS 'API shape of a scraping job (CONTRACT.md "Job").';

CREATE FUNCTION result_json(r scraping_results) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
        'id', r.id,
        'jobId', r.job_id,
        'creators', r.creators,
        'createdAt', r.created_at
    )
$$;

COMMENT ON FUNCTION result_json(scraping_results) IS 'API shape of a result page (CONTRACT.md "Result").';

CREATE FUNCTION profile_json(p user_profiles) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
        'userId', p.user_id,
        'name', p.name,
        'companyName', p.company_name,
        'industry', p.industry,
        'email', p.email,
        'signupTimestamp', p.signup_timestamp,
        'onboardingStep', p.onboarding_step,
        'fullName', p.full_name,
        'businessName', p.business_name,
        'brandDescription', p.brand_description,
        'emailScheduleStatus', p.email_schedule_status,
        'createdAt', p.created_at,
        'updatedAt', p.updated_at
    )
$$;

COMMENT ON FUNCTION profile_json(user_profiles) IS 'API shape of a user profile (CONTRACT.md "Profile").';

CREATE FUNCTION config_entry_json(e system_configurations) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_build_object(
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

COMMENT ON FUNCTION config_entry_json(system_configurations) IS
'API shape of a configuration entry (CONTRACT.md "Config entry").';

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
