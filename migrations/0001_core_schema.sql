-- Core schema: profiles, campaigns, scraping jobs and their results, system
-- configuration, and the legacy search tables kept for data continuity.
-- Every enumerated column and range has a CHECK so that no application bug can
-- store a row the API would not accept; every timestamp is timestamptz.
-- On the old system's database, 0010 runs first and converts its tables in
-- place to these shapes; IF NOT EXISTS then keeps them (and adds the indexes).
-- (Edited for that after release: yoyo knows migrations by file name, so
-- databases that applied the earlier text keep it; 0011 corrects their legacy
-- tables, which the earlier text guessed wrong.)
-- depends: 0010_adopt_old_schema

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE IF NOT EXISTS user_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL UNIQUE CHECK (char_length(user_id) BETWEEN 1 AND 255),
    name text,
    company_name text,
    industry text,
    email text CHECK (char_length(email) <= 320),
    signup_timestamp timestamptz NOT NULL DEFAULT now(),
    onboarding_step text NOT NULL DEFAULT 'pending'
    CHECK (onboarding_step IN ('pending', 'info_captured', 'intent_captured', 'completed')),
    full_name text CHECK (char_length(full_name) BETWEEN 1 AND 100 AND full_name = btrim(full_name)),
    business_name text
    CHECK (char_length(business_name) BETWEEN 1 AND 100 AND business_name = btrim(business_name)),
    brand_description text CHECK (char_length(brand_description) BETWEEN 1 AND 2000),
    email_schedule_status jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(email_schedule_status) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE user_profiles IS
'One row per user (Clerk user id), created by onboarding step 1.';
COMMENT ON COLUMN user_profiles.user_id IS
'The identity provider''s user id (the token''s sub claim), e.g. user_2zb4wFmyH7n6rV7ByOGNhexQVfi.';
COMMENT ON COLUMN user_profiles.name IS 'Legacy profile field from before onboarding existed.';
COMMENT ON COLUMN user_profiles.company_name IS 'Legacy profile field from before onboarding existed.';
COMMENT ON COLUMN user_profiles.industry IS 'Legacy profile field from before onboarding existed.';
COMMENT ON COLUMN user_profiles.email IS
'Cached contact address; the welcome email falls back to it when the token carries none.';
COMMENT ON COLUMN user_profiles.onboarding_step IS
'pending -> info_captured (step 1) -> intent_captured (step 2) -> completed; only moves forward.';
COMMENT ON COLUMN user_profiles.email_schedule_status IS
'Delivery state per email type, e.g. {"welcome": {"status": "scheduled"|"sending"|"sent"|"failed", ...}}; '
'also the outbox the background workers deliver from. Updated with jsonb_set.';

CREATE TABLE IF NOT EXISTS campaigns (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 255),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100 AND name = btrim(name)),
    description text CHECK (char_length(description) <= 500),
    search_type text NOT NULL CHECK (search_type IN ('keyword', 'similar')),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'completed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE campaigns IS 'A brand''s search for creators; owns its scraping jobs.';
COMMENT ON COLUMN campaigns.search_type IS
'keyword: jobs search by keywords; similar: jobs search for creators like target_username.';
COMMENT ON COLUMN campaigns.status IS 'draft until its first job starts, then active; completed by the user.';

-- Serves every newest-first listing of one user's campaigns, offset and keyset
-- pages alike (list_campaigns_page, campaign_stats).
CREATE INDEX IF NOT EXISTS campaigns_user_created_idx ON campaigns (user_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS scraping_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL CHECK (char_length(user_id) BETWEEN 1 AND 255),
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    keywords jsonb CHECK (keywords IS NULL OR jsonb_typeof(keywords) = 'array'),
    target_username text CHECK (char_length(target_username) BETWEEN 1 AND 100),
    platform text NOT NULL CHECK (platform IN ('TikTok', 'Instagram', 'YouTube')),
    region text NOT NULL DEFAULT 'US' CHECK (region ~ '^[A-Z]{2}$'),
    target_results integer NOT NULL DEFAULT 1000 CHECK (target_results BETWEEN 1 AND 10000),
    status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'completed', 'error', 'cancelled', 'timeout')),
    run_id text,
    processed_runs integer NOT NULL DEFAULT 0 CHECK (processed_runs >= 0),
    processed_results integer NOT NULL DEFAULT 0 CHECK (processed_results >= 0),
    progress numeric(5, 2) NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    cursor integer NOT NULL DEFAULT 0 CHECK (cursor >= 0),
    provider_cursor text,
    qstash_message_id text,
    search_params jsonb CHECK (search_params IS NULL OR jsonb_typeof(search_params) = 'object'),
    error text,
    timeout_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    locked_by text,
    locked_until timestamptz,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz,
    CHECK (keywords IS NOT NULL OR target_username IS NOT NULL),
    CHECK ((locked_by IS NULL) = (locked_until IS NULL))
);

COMMENT ON TABLE scraping_jobs IS
'One search on one platform; also the work queue that the background workers claim from.';
COMMENT ON COLUMN scraping_jobs.user_id IS 'Owner; always the owner of campaign_id.';
COMMENT ON COLUMN scraping_jobs.keywords IS 'JSON array of trimmed keywords for keyword searches, else NULL.';
COMMENT ON COLUMN scraping_jobs.target_username IS 'The creator to find look-alikes of, for similar searches.';
COMMENT ON COLUMN scraping_jobs.region IS 'ISO 3166-1 alpha-2 country code passed to the provider.';
COMMENT ON COLUMN scraping_jobs.run_id IS 'The worker slot that last claimed the job (host:pid:tag/slot).';
COMMENT ON COLUMN scraping_jobs.processed_runs IS 'Provider calls made so far (each call is one step).';
COMMENT ON COLUMN scraping_jobs.processed_results IS 'Creators stored so far over all result pages.';
COMMENT ON COLUMN scraping_jobs.progress IS 'Percentage 0-100; never decreases while the job runs.';
COMMENT ON COLUMN scraping_jobs.cursor IS
'Number of the next result page (0 for the first); advanced by each step, so it doubles as the step guard.';
COMMENT ON COLUMN scraping_jobs.provider_cursor IS
'The provider''s own continuation token for the next page (opaque; NULL before the first page).';
COMMENT ON COLUMN scraping_jobs.qstash_message_id IS
'Legacy: message id of the old QStash scheduler. Nothing writes it any more.';
COMMENT ON COLUMN scraping_jobs.search_params IS 'Extra provider parameters and end-of-run notes (JSON object).';
COMMENT ON COLUMN scraping_jobs.timeout_at IS 'The job ends with status timeout if it is still running at this time.';
COMMENT ON COLUMN scraping_jobs.locked_by IS 'The worker holding the job (with locked_until); NULL when no one does.';
COMMENT ON COLUMN scraping_jobs.locked_until IS
'Lease expiry: after it, any worker may take the job over from its last committed step.';
COMMENT ON COLUMN scraping_jobs.attempts IS
'Failed provider calls in a row for the current step (reset by each stored page).';
COMMENT ON COLUMN scraping_jobs.next_attempt_at IS 'Retry backoff: the job is not claimed again before this time.';

-- Serves a user's newest-first job listings and keyword search ordering.
CREATE INDEX IF NOT EXISTS scraping_jobs_user_created_idx ON scraping_jobs (user_id, created_at DESC, id DESC);
-- Serves a campaign's jobs newest first, its latest job, and the cascade from campaigns.
CREATE INDEX IF NOT EXISTS scraping_jobs_campaign_created_idx ON scraping_jobs (campaign_id, created_at DESC, id DESC);
-- The work queue: only unfinished jobs, oldest first (claim_next_job, sweep_timed_out_jobs).
CREATE INDEX IF NOT EXISTS scraping_jobs_unfinished_idx ON scraping_jobs (created_at)
WHERE status IN ('pending', 'processing');

CREATE TABLE IF NOT EXISTS scraping_results (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id uuid NOT NULL REFERENCES scraping_jobs (id) ON DELETE CASCADE,
    page integer NOT NULL CHECK (page >= 0),
    creators jsonb NOT NULL CHECK (jsonb_typeof(creators) = 'array'),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- One row per step: a step that is done twice cannot store its page twice.
    -- Also serves a job's result pages in order, and the cascade from scraping_jobs.
    CONSTRAINT scraping_results_job_page_key UNIQUE (job_id, page)
);

COMMENT ON TABLE scraping_results IS 'One page of creators returned by one provider call of a job.';
COMMENT ON COLUMN scraping_results.page IS
'The job step that stored this page (the job''s cursor at the time).';
COMMENT ON COLUMN scraping_results.creators IS
'JSON array of {creator:{name,handle,followers,avatarUrl,bio,emails}, video:{description,url,statistics},'
' hashtags, platform}.';


CREATE TABLE IF NOT EXISTS system_configurations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    category text NOT NULL CHECK (category ~ '^[a-z][a-z0-9_]{0,49}$'),
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,99}$'),
    value text NOT NULL,
    value_type text NOT NULL CHECK (value_type IN ('number', 'boolean', 'duration', 'string', 'json')),
    description text,
    is_hot_reloadable boolean NOT NULL DEFAULT TRUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (category, key)
);

COMMENT ON TABLE system_configurations IS
'Operator-tunable settings read by the running processes; defaults live in the service code.';
COMMENT ON COLUMN system_configurations.value IS 'Text form of the value, parsed according to value_type.';
COMMENT ON COLUMN system_configurations.value_type IS
'number | boolean (true/false) | duration (30s, 5m, 2h, 1d) | string | json.';
COMMENT ON COLUMN system_configurations.is_hot_reloadable IS
'true: running processes pick up a change within the cache TTL; false: read once at start-up.';

-- Legacy tables of the first search implementation, as the old system has
-- them. Nothing new writes to them; they are kept so that old rows stay
-- readable and go with their campaign.
CREATE TABLE IF NOT EXISTS search_jobs (
    id text PRIMARY KEY,
    campaign_id uuid REFERENCES campaigns (id) ON DELETE CASCADE,
    platform text NOT NULL,
    search_type text NOT NULL,
    status text NOT NULL DEFAULT 'queued',
    total_count integer NOT NULL,
    completed_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);

COMMENT ON TABLE search_jobs IS 'Legacy: searches of the first implementation. Read-only.';

CREATE INDEX IF NOT EXISTS search_jobs_campaign_idx ON search_jobs (campaign_id);

CREATE TABLE IF NOT EXISTS search_results (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id text NOT NULL REFERENCES search_jobs (id) ON DELETE CASCADE,
    profile_id text NOT NULL,
    username text NOT NULL,
    display_name text,
    platform text NOT NULL,
    profile_url text,
    post_url text,
    post_description text,
    avatar_url text,
    followers integer DEFAULT 0,
    is_verified text DEFAULT 'false',
    email text,
    bio text,
    raw_data jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE search_results IS 'Legacy: one creator found by a search_jobs row. Read-only.';
COMMENT ON COLUMN search_results.is_verified IS 'The strings ''true'' or ''false'', as the old system wrote them.';

CREATE INDEX IF NOT EXISTS search_results_job_idx ON search_results (job_id);
