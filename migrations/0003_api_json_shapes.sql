-- The JSON shape of each API resource, written once in SQL so that every query
-- returning a resource builds the same camelCase object and the
-- service can pass PostgreSQL's JSON text straight to the client. They return
-- jsonb so that queries can extend an object with `||` (a campaign with its jobs).
-- These are single-expression SQL functions: the planner inlines them.
-- depends: 0001_core_schema

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
