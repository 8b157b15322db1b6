-- The API JSON shapes again, built as json (text) instead of jsonb.
-- Building jsonb re-encodes every value it nests: a job with two stored pages
-- of creators took 0.4 ms of the server's time per request, and the text the
-- service sends is the same. json_build_object and json_agg only write text.
-- (pgbench, the job-detail statement: 2,260 tps with jsonb, 10,200 with json.)
-- New names, so that processes still running the previous release keep
-- working until they are replaced; the jsonb functions of 0003 are no longer
-- used by sql/ and can be dropped in a later migration.
-- depends: 0005_drop_creators_gin

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE FUNCTION api_campaign(c campaigns) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
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

COMMENT ON FUNCTION api_campaign(campaigns) IS 'API shape of a campaign (CONTRACT.md "Campaign").';

CREATE FUNCTION api_job(j scraping_jobs) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
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

COMMENT ON FUNCTION api_job(scraping_jobs) IS 'API shape of a scraping job (CONTRACT.md "Job").';

CREATE FUNCTION api_result(r scraping_results) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
        'id', r.id,
        'jobId', r.job_id,
        'creators', r.creators,
        'createdAt', r.created_at
    )
$$;

COMMENT ON FUNCTION api_result(scraping_results) IS 'API shape of a result page (CONTRACT.md "Result").';

CREATE FUNCTION api_profile(p user_profiles) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
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

COMMENT ON FUNCTION api_profile(user_profiles) IS 'API shape of a user profile (CONTRACT.md "Profile").';

CREATE FUNCTION api_config_entry(e system_configurations) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT json_build_object(
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

COMMENT ON FUNCTION api_config_entry(system_configurations) IS
'API shape of a configuration entry (CONTRACT.md "Config entry").';

-- json has no `||`: this splices the text of two objects instead, so that a
-- large nested value is never taken apart. `base` must not be empty (the
-- shapes above never are); the cast back to json checks the result.
CREATE FUNCTION json_with(base json, extra json) RETURNS json
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT (left(base::text, -1) || ', ' || substr(extra::text, 2))::json
$$;

COMMENT ON FUNCTION json_with(json, json) IS
'The JSON object base with the members of the object extra appended (base must not be empty).';
