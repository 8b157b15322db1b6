-- Adopts the old system's database in place: the one that
-- Sanchay-T/influencer-platform-app (commit 8087a51) left, with its drizzle
-- migrations and the hand-run trial, search-index and admin ones applied.
-- It runs first (0001 depends on it): on such a database it converts the old
-- tables to what 0001 would have created, so that 0001 (CREATE ... IF NOT
-- EXISTS) and everything after it apply unchanged. On an empty database, and
-- on one this project created (where yoyo applies it after the others, being
-- new to it), it only creates its three bookkeeping tables, empty.
--
-- What adoption does (README, "Moving from the old backend"):
-- 1. Rows our constraints refuse are moved, not dropped, to legacy_quarantine
--    with the reason: a campaign of an unknown status or search type; a job
--    without a campaign, whose campaign is gone or another user's, of an
--    unknown platform or status; a result row without its job; a setting
--    whose category or key we cannot name. Children go with their parent.
-- 2. Values are normalised; each changed row's original is kept so the
--    rollback restores it: campaign names trimmed (and shortened to 100
--    characters, an empty one named), descriptions to 500, a draft with
--    searches made active (the old code never changed a status); profile names
--    trimmed and shortened, an empty email status {} (these two kinds in
--    legacy_quarantine, as kept rows); job platform spelled as ours ('Tiktok'
--    becomes 'TikTok'), progress rounded to 2 decimals within 0-100 (NULL is
--    0), cursor counting pages rather than creators, target results within
--    1-10000, region upper case (these in legacy_job_values, for every job).
-- 3. Each old result row (one per job, or a few) becomes a page: page n is
--    the job's (n+1)-th row by creation time. Entries are not rewritten.
-- 4. Types: timestamp becomes timestamptz read as UTC (with the session in
--    UTC this changes the catalog only, no table is rewritten), varchar
--    becomes text, is_hot_reloadable 'true'/'false' becomes boolean, progress
--    numeric(5,2). Our new job columns are added (empty).
-- 5. Constraints: foreign keys become ON DELETE CASCADE; the CHECKs of 0001
--    are added NOT VALID (no scan while the tables are locked) and validated
--    by 0013 under a lock that lets reads and writes through.
-- Untouched: the old columns and indexes we do not use (trial, Stripe and
-- subscription fields, is_admin, the trigram and admin indexes, the
-- is_admin trigger), other schemas (drizzle's own), and the email statuses,
-- whose format ({"welcome": {"status": "sent", "messageId", "timestamp"}})
-- is already ours; a welcome still 'scheduled' is delivered by our workers.
-- Editing an applied migration changes nothing where it was applied (yoyo
-- knows migrations by file name), so 0001 and 0008, edited for this, stay as
-- they were on existing deployments.

-- Fail fast instead of queueing behind long transactions; the old system's
-- processes must be stopped before adopting (it holds every table briefly).
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '30min';
-- The old timestamps are UTC: read them so, and let timestamptz conversions skip the rewrite.
SET LOCAL timezone = 'UTC';

CREATE TABLE legacy_adoption (
    adopted_at timestamptz PRIMARY KEY DEFAULT now(),
    quarantined jsonb NOT NULL,
    normalised jsonb NOT NULL,
    comments jsonb NOT NULL
);

COMMENT ON TABLE legacy_adoption IS
'One row if this database was adopted from the old system (migration 0010): when, and how many rows '
'were quarantined and normalised, by table and reason; and the old tables'' comments, which our '
'migrations overwrite and 0010''s rollback restores. Empty otherwise.';

CREATE TABLE legacy_quarantine (
    id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    source_table text NOT NULL,
    source_id text NOT NULL,
    reason text NOT NULL,
    moved boolean NOT NULL,
    original jsonb NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE legacy_quarantine IS
'Rows of the old system that adoption (migration 0010) could not keep as they were. moved: the row was '
'refused and lives only here; otherwise it was kept, normalised, and this is its original. Nothing reads '
'it; the rollback of 0010 puts every row back.';

CREATE TABLE legacy_job_values (
    job_id uuid PRIMARY KEY,
    platform text NOT NULL,
    progress numeric,
    cursor integer,
    target_results integer NOT NULL,
    region text NOT NULL
);

COMMENT ON TABLE legacy_job_values IS
'The old values of the job columns adoption (migration 0010) normalised, one row per adopted job, so '
'that its rollback restores them exactly.';

-- Session-local helpers of this migration (gone when its connection closes).
CREATE OR REPLACE FUNCTION pg_temp.quarantine(source_table text, reason text) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    -- reason: an SQL expression over the row r, NULL when the row is fine.
    EXECUTE format($sql$
        WITH moved AS (
            DELETE FROM %1$I AS r WHERE (%2$s) IS NOT NULL
            RETURNING r.id::text AS source_id, (%2$s) AS reason, to_jsonb(r) AS original
        )
        INSERT INTO legacy_quarantine (source_table, source_id, reason, moved, original)
        SELECT %1$L, source_id, reason, TRUE, original FROM moved
    $sql$, source_table, reason);
END
$$;

CREATE OR REPLACE FUNCTION pg_temp.short_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    -- A name as 0001 allows it: trimmed, 1-100 characters, else NULL.
    SELECT nullif(btrim(left(btrim(name), 100)), '')
$$;

DO $$
DECLARE
    missing text;
    quarantined jsonb;
    normalised jsonb;
    comments jsonb;
BEGIN
    -- The old schema: scraping_results without page. Ours always has it.
    IF NOT EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = to_regclass('public.scraping_results') AND attname = 'job_id' AND NOT attisdropped
    ) OR EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = to_regclass('public.scraping_results') AND attname = 'page' AND NOT attisdropped
    ) THEN
        RETURN;
    END IF;
    SELECT string_agg(name, ', ') INTO missing
    FROM unnest(ARRAY[
        'campaigns', 'scraping_jobs', 'search_jobs', 'search_results', 'system_configurations', 'user_profiles'
    ]) AS name
    WHERE to_regclass('public.' || name) IS NULL;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'this looks like the old system''s database, but without %: adopt a complete one', missing;
    END IF;

    -- The old tables' comments, which 0001 overwrites, for the rollback.
    SELECT coalesce(jsonb_agg(jsonb_build_object(
        'table_name', c.relname, 'column_name', a.attname, 'comment', d.description
    ) ORDER BY c.relname, a.attname), '[]') INTO comments
    FROM pg_description AS d
    INNER JOIN pg_class AS c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
    LEFT JOIN pg_attribute AS a ON d.objsubid > 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
    WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN (
        'campaigns', 'scraping_jobs', 'scraping_results', 'search_jobs', 'search_results',
        'system_configurations', 'user_profiles'
    );

    -- Their foreign keys (NO ACTION) would stop rows from moving; ours come back below.
    ALTER TABLE scraping_results DROP CONSTRAINT IF EXISTS scraping_results_job_id_scraping_jobs_id_fk;
    ALTER TABLE scraping_jobs DROP CONSTRAINT IF EXISTS scraping_jobs_campaign_id_campaigns_id_fk;
    ALTER TABLE search_results DROP CONSTRAINT IF EXISTS search_results_job_id_search_jobs_id_fk;
    ALTER TABLE search_jobs DROP CONSTRAINT IF EXISTS search_jobs_campaign_id_campaigns_id_fk;

    -- 1. Quarantine, parents first, so that a refused campaign takes its jobs along.
    PERFORM pg_temp.quarantine('campaigns', $reason$
        CASE
            WHEN char_length(r.user_id) NOT BETWEEN 1 AND 255 THEN 'user id empty or longer than 255 characters'
            WHEN r.search_type NOT IN ('keyword', 'similar') THEN format('unknown search type %L', r.search_type)
            WHEN r.status NOT IN ('draft', 'active', 'completed') THEN format('unknown status %L', r.status)
        END
    $reason$);
    PERFORM pg_temp.quarantine('scraping_jobs', $reason$
        CASE
            WHEN r.campaign_id IS NULL THEN 'no campaign (created before campaigns existed)'
            WHEN NOT EXISTS (SELECT FROM campaigns AS c WHERE c.id = r.campaign_id)
                THEN 'its campaign is gone (or was quarantined)'
            WHEN NOT EXISTS (SELECT FROM campaigns AS c WHERE c.id = r.campaign_id AND c.user_id = r.user_id)
                THEN 'its campaign belongs to another user'
            WHEN lower(r.platform) NOT IN ('tiktok', 'instagram', 'youtube')
                THEN format('unknown platform %L', r.platform)
            WHEN r.status NOT IN ('pending', 'processing', 'completed', 'error', 'cancelled', 'timeout')
                THEN format('unknown status %L', r.status)
            WHEN jsonb_typeof(r.keywords) <> 'array' THEN 'keywords are not a JSON array'
            WHEN r.keywords IS NULL AND r.target_username IS NULL THEN 'neither keywords nor a target username'
            WHEN char_length(r.target_username) NOT BETWEEN 1 AND 100
                THEN 'target username empty or longer than 100 characters'
            WHEN upper(btrim(r.region)) !~ '^[A-Z]{2}$' THEN format('region %L is not a country code', r.region)
            WHEN r.processed_runs < 0 OR r.processed_results < 0 THEN 'negative counters'
            WHEN jsonb_typeof(r.search_params) <> 'object' THEN 'search params are not a JSON object'
        END
    $reason$);
    PERFORM pg_temp.quarantine('scraping_results', $reason$
        CASE
            WHEN r.job_id IS NULL THEN 'no job'
            WHEN NOT EXISTS (SELECT FROM scraping_jobs AS j WHERE j.id = r.job_id)
                THEN 'its job is gone (or was quarantined)'
            WHEN jsonb_typeof(r.creators) <> 'array' THEN 'creators are not a JSON array'
        END
    $reason$);
    PERFORM pg_temp.quarantine('search_jobs', $reason$
        CASE
            WHEN r.campaign_id IS NOT NULL AND NOT EXISTS (SELECT FROM campaigns AS c WHERE c.id = r.campaign_id)
                THEN 'its campaign is gone (or was quarantined)'
        END
    $reason$);
    PERFORM pg_temp.quarantine('search_results', $reason$
        CASE
            WHEN NOT EXISTS (SELECT FROM search_jobs AS j WHERE j.id = r.job_id)
                THEN 'its search job is gone (or was quarantined)'
        END
    $reason$);
    PERFORM pg_temp.quarantine('system_configurations', $reason$
        CASE
            WHEN r.category !~ '^[a-z][a-z0-9_]{0,49}$' THEN format('category %L is not snake_case', r.category)
            WHEN r.key !~ '^[a-z][a-z0-9_]{0,99}$' THEN format('key %L is not snake_case', r.key)
            WHEN r.value_type NOT IN ('number', 'boolean', 'duration', 'string', 'json')
                THEN format('unknown value type %L', r.value_type)
            WHEN r.is_hot_reloadable NOT IN ('true', 'false')
                THEN format('is_hot_reloadable %L is neither true nor false', r.is_hot_reloadable)
        END
    $reason$);
    PERFORM pg_temp.quarantine('user_profiles', $reason$
        CASE
            WHEN char_length(r.user_id) NOT BETWEEN 1 AND 255 THEN 'user id empty or longer than 255 characters'
            WHEN r.onboarding_step NOT IN ('pending', 'info_captured', 'intent_captured', 'completed')
                THEN format('unknown onboarding step %L', r.onboarding_step)
        END
    $reason$);

    -- 2. Normalise what is kept; the originals of changed rows stay in the quarantine table.
    -- Every old campaign is a draft (the old code never changed a status); ours
    -- become active with their first search.
    INSERT INTO legacy_quarantine (source_table, source_id, reason, moved, original)
    SELECT 'campaigns', c.id::text, 'kept, normalised: ' || concat_ws(', ',
        CASE WHEN c.name <> btrim(c.name) THEN 'name trimmed' END,
        CASE WHEN btrim(c.name) = '' THEN 'empty name replaced' END,
        CASE WHEN char_length(btrim(c.name)) > 100 THEN 'name shortened to 100 characters' END,
        CASE WHEN char_length(c.description) > 500 THEN 'description shortened to 500 characters' END,
        CASE WHEN c.status = 'draft' AND c.id IN (SELECT j.campaign_id FROM scraping_jobs AS j)
            THEN 'draft with searches made active' END
    ), FALSE, to_jsonb(c)
    FROM campaigns AS c
    WHERE c.name IS DISTINCT FROM pg_temp.short_name(c.name) OR char_length(c.description) > 500
        OR (c.status = 'draft' AND c.id IN (SELECT j.campaign_id FROM scraping_jobs AS j));
    UPDATE campaigns AS c SET
        name = coalesce(pg_temp.short_name(c.name), 'Untitled campaign'),
        description = left(c.description, 500),
        status = CASE
            WHEN c.status = 'draft' AND c.id IN (SELECT j.campaign_id FROM scraping_jobs AS j) THEN 'active'
            ELSE c.status
        END
    WHERE c.name IS DISTINCT FROM pg_temp.short_name(c.name) OR char_length(c.description) > 500
        OR (c.status = 'draft' AND c.id IN (SELECT j.campaign_id FROM scraping_jobs AS j));

    INSERT INTO legacy_quarantine (source_table, source_id, reason, moved, original)
    SELECT 'user_profiles', p.id::text, 'kept, normalised: ' || concat_ws(', ',
        CASE WHEN p.full_name IS DISTINCT FROM pg_temp.short_name(p.full_name) THEN 'full name trimmed or shortened' END,
        CASE WHEN p.business_name IS DISTINCT FROM pg_temp.short_name(p.business_name)
            THEN 'business name trimmed or shortened' END,
        CASE WHEN char_length(p.brand_description) NOT BETWEEN 1 AND 2000 THEN 'brand description shortened' END,
        CASE WHEN char_length(p.email) > 320 THEN 'email longer than 320 characters removed' END,
        CASE WHEN jsonb_typeof(p.email_schedule_status) IS DISTINCT FROM 'object' THEN 'email status set to {}' END
    ), FALSE, to_jsonb(p)
    FROM user_profiles AS p
    WHERE p.full_name IS DISTINCT FROM pg_temp.short_name(p.full_name)
        OR p.business_name IS DISTINCT FROM pg_temp.short_name(p.business_name)
        OR char_length(p.brand_description) NOT BETWEEN 1 AND 2000
        OR char_length(p.email) > 320
        OR jsonb_typeof(p.email_schedule_status) IS DISTINCT FROM 'object';
    UPDATE user_profiles SET
        full_name = pg_temp.short_name(full_name),
        business_name = pg_temp.short_name(business_name),
        brand_description = nullif(left(brand_description, 2000), ''),
        email = CASE WHEN char_length(email) <= 320 THEN email END,
        email_schedule_status = CASE
            WHEN jsonb_typeof(email_schedule_status) = 'object' THEN email_schedule_status ELSE '{}'
        END
    WHERE full_name IS DISTINCT FROM pg_temp.short_name(full_name)
        OR business_name IS DISTINCT FROM pg_temp.short_name(business_name)
        OR char_length(brand_description) NOT BETWEEN 1 AND 2000
        OR char_length(email) > 320
        OR jsonb_typeof(email_schedule_status) IS DISTINCT FROM 'object';

    INSERT INTO legacy_job_values (job_id, platform, progress, cursor, target_results, region)
    SELECT id, platform, progress, cursor, target_results, region FROM scraping_jobs;
    UPDATE scraping_jobs AS j SET
        platform = CASE lower(j.platform) WHEN 'tiktok' THEN 'TikTok' WHEN 'instagram' THEN 'Instagram' ELSE 'YouTube' END,
        progress = round(least(greatest(coalesce(j.progress, 0), 0), 100), 2),
        -- Ours is the number of the next page; the old one counted creators.
        -- (Counted in one pass: scraping_results has no index on job_id yet.)
        cursor = stored.pages,
        target_results = least(greatest(j.target_results, 1), 10000),
        region = upper(btrim(j.region))
    FROM (
        SELECT every_job.id, count(r.id)::integer AS pages
        FROM scraping_jobs AS every_job
        LEFT JOIN scraping_results AS r ON r.job_id = every_job.id
        GROUP BY every_job.id
    ) AS stored
    WHERE j.id = stored.id;

    -- 3. Pages: each old row is one, numbered in the order the rows were written.
    ALTER TABLE scraping_results ADD COLUMN page integer;
    UPDATE scraping_results AS r SET page = numbered.page
    FROM (
        SELECT id, (row_number() OVER (PARTITION BY job_id ORDER BY created_at, id) - 1)::integer AS page
        FROM scraping_results
    ) AS numbered
    WHERE r.id = numbered.id;

    -- 4 and 5. Types, new columns, keys and constraints, as 0001 has them.
    ALTER TABLE user_profiles
    ALTER COLUMN signup_timestamp TYPE timestamptz,
    ALTER COLUMN created_at TYPE timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz,
    ALTER COLUMN onboarding_step TYPE text,
    ALTER COLUMN onboarding_step SET DEFAULT 'pending',
    ALTER COLUMN email_schedule_status SET NOT NULL,
    ADD CONSTRAINT user_profiles_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255) NOT VALID,
    ADD CONSTRAINT user_profiles_email_check CHECK (char_length(email) <= 320) NOT VALID,
    ADD CONSTRAINT user_profiles_onboarding_step_check
    CHECK (onboarding_step IN ('pending', 'info_captured', 'intent_captured', 'completed')) NOT VALID,
    ADD CONSTRAINT user_profiles_full_name_check
    CHECK (char_length(full_name) BETWEEN 1 AND 100 AND full_name = btrim(full_name)) NOT VALID,
    ADD CONSTRAINT user_profiles_business_name_check
    CHECK (char_length(business_name) BETWEEN 1 AND 100 AND business_name = btrim(business_name)) NOT VALID,
    ADD CONSTRAINT user_profiles_brand_description_check
    CHECK (char_length(brand_description) BETWEEN 1 AND 2000) NOT VALID,
    ADD CONSTRAINT user_profiles_email_schedule_status_check
    CHECK (jsonb_typeof(email_schedule_status) = 'object') NOT VALID;
    ALTER TABLE user_profiles RENAME CONSTRAINT user_profiles_user_id_unique TO user_profiles_user_id_key;

    ALTER TABLE campaigns
    ALTER COLUMN search_type TYPE text,
    ALTER COLUMN status TYPE text,
    ALTER COLUMN status SET DEFAULT 'draft',
    ALTER COLUMN created_at TYPE timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz,
    ADD CONSTRAINT campaigns_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255) NOT VALID,
    ADD CONSTRAINT campaigns_name_check
    CHECK (char_length(name) BETWEEN 1 AND 100 AND name = btrim(name)) NOT VALID,
    ADD CONSTRAINT campaigns_description_check CHECK (char_length(description) <= 500) NOT VALID,
    ADD CONSTRAINT campaigns_search_type_check CHECK (search_type IN ('keyword', 'similar')) NOT VALID,
    ADD CONSTRAINT campaigns_status_check CHECK (status IN ('draft', 'active', 'completed')) NOT VALID;

    ALTER TABLE scraping_jobs
    ALTER COLUMN status TYPE text,
    ALTER COLUMN status SET DEFAULT 'pending',
    ALTER COLUMN platform TYPE text,
    ALTER COLUMN platform DROP DEFAULT,
    ALTER COLUMN region TYPE text,
    ALTER COLUMN region SET DEFAULT 'US',
    ALTER COLUMN created_at TYPE timestamptz,
    ALTER COLUMN started_at TYPE timestamptz,
    ALTER COLUMN completed_at TYPE timestamptz,
    ALTER COLUMN timeout_at TYPE timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz,
    ALTER COLUMN progress TYPE numeric(5, 2),
    ALTER COLUMN progress SET DEFAULT 0,
    ALTER COLUMN progress SET NOT NULL,
    ALTER COLUMN cursor SET NOT NULL,
    ALTER COLUMN campaign_id SET NOT NULL,
    ADD COLUMN provider_cursor text,
    ADD COLUMN locked_by text,
    ADD COLUMN locked_until timestamptz,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz,
    ADD CONSTRAINT scraping_jobs_user_id_check CHECK (char_length(user_id) BETWEEN 1 AND 255) NOT VALID,
    ADD CONSTRAINT scraping_jobs_keywords_check
    CHECK (keywords IS NULL OR jsonb_typeof(keywords) = 'array') NOT VALID,
    ADD CONSTRAINT scraping_jobs_target_username_check
    CHECK (char_length(target_username) BETWEEN 1 AND 100) NOT VALID,
    ADD CONSTRAINT scraping_jobs_platform_check CHECK (platform IN ('TikTok', 'Instagram', 'YouTube')) NOT VALID,
    ADD CONSTRAINT scraping_jobs_region_check CHECK (region ~ '^[A-Z]{2}$') NOT VALID,
    ADD CONSTRAINT scraping_jobs_target_results_check CHECK (target_results BETWEEN 1 AND 10000) NOT VALID,
    ADD CONSTRAINT scraping_jobs_status_check
    CHECK (status IN ('pending', 'processing', 'completed', 'error', 'cancelled', 'timeout')) NOT VALID,
    ADD CONSTRAINT scraping_jobs_processed_runs_check CHECK (processed_runs >= 0) NOT VALID,
    ADD CONSTRAINT scraping_jobs_processed_results_check CHECK (processed_results >= 0) NOT VALID,
    ADD CONSTRAINT scraping_jobs_progress_check CHECK (progress BETWEEN 0 AND 100) NOT VALID,
    ADD CONSTRAINT scraping_jobs_cursor_check CHECK (cursor >= 0) NOT VALID,
    ADD CONSTRAINT scraping_jobs_search_params_check
    CHECK (search_params IS NULL OR jsonb_typeof(search_params) = 'object') NOT VALID,
    ADD CONSTRAINT scraping_jobs_attempts_check CHECK (attempts >= 0),
    ADD CONSTRAINT scraping_jobs_check CHECK (keywords IS NOT NULL OR target_username IS NOT NULL) NOT VALID,
    ADD CONSTRAINT scraping_jobs_check1 CHECK ((locked_by IS NULL) = (locked_until IS NULL)),
    ADD CONSTRAINT scraping_jobs_campaign_id_fkey
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE NOT VALID;

    ALTER TABLE scraping_results
    ALTER COLUMN job_id SET NOT NULL,
    ALTER COLUMN page SET NOT NULL,
    ALTER COLUMN created_at TYPE timestamptz,
    ADD CONSTRAINT scraping_results_page_check CHECK (page >= 0) NOT VALID,
    ADD CONSTRAINT scraping_results_creators_check CHECK (jsonb_typeof(creators) = 'array') NOT VALID,
    ADD CONSTRAINT scraping_results_job_id_fkey
    FOREIGN KEY (job_id) REFERENCES scraping_jobs (id) ON DELETE CASCADE NOT VALID,
    ADD CONSTRAINT scraping_results_job_page_key UNIQUE (job_id, page);

    ALTER TABLE system_configurations
    ALTER COLUMN category TYPE text,
    ALTER COLUMN key TYPE text,
    ALTER COLUMN value_type TYPE text,
    ALTER COLUMN is_hot_reloadable DROP DEFAULT,
    ALTER COLUMN is_hot_reloadable TYPE boolean USING is_hot_reloadable = 'true',
    ALTER COLUMN is_hot_reloadable SET DEFAULT TRUE,
    ALTER COLUMN created_at TYPE timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz,
    ADD CONSTRAINT system_configurations_category_check CHECK (category ~ '^[a-z][a-z0-9_]{0,49}$') NOT VALID,
    ADD CONSTRAINT system_configurations_key_check CHECK (key ~ '^[a-z][a-z0-9_]{0,99}$') NOT VALID,
    ADD CONSTRAINT system_configurations_value_type_check
    CHECK (value_type IN ('number', 'boolean', 'duration', 'string', 'json')) NOT VALID;
    ALTER TABLE system_configurations
    RENAME CONSTRAINT system_configurations_category_key_unique TO system_configurations_category_key_key;

    ALTER TABLE search_jobs
    ALTER COLUMN platform TYPE text,
    ALTER COLUMN search_type TYPE text,
    ALTER COLUMN status TYPE text,
    ALTER COLUMN status SET DEFAULT 'queued',
    ALTER COLUMN created_at TYPE timestamptz,
    ALTER COLUMN updated_at TYPE timestamptz,
    ALTER COLUMN completed_at TYPE timestamptz,
    ADD CONSTRAINT search_jobs_campaign_id_fkey
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE NOT VALID;

    ALTER TABLE search_results
    ALTER COLUMN platform TYPE text,
    ALTER COLUMN is_verified TYPE text,
    ALTER COLUMN is_verified SET DEFAULT 'false',
    ALTER COLUMN created_at TYPE timestamptz,
    ADD CONSTRAINT search_results_job_id_fkey
    FOREIGN KEY (job_id) REFERENCES search_jobs (id) ON DELETE CASCADE NOT VALID;

    SELECT coalesce(jsonb_object_agg(source_table, reasons), '{}') INTO quarantined
    FROM (
        SELECT source_table, jsonb_object_agg(reason, rows) AS reasons
        FROM (
            SELECT source_table, reason, count(*) AS rows FROM legacy_quarantine WHERE moved
            GROUP BY source_table, reason
        ) AS counted
        GROUP BY source_table
    ) AS by_table;
    SELECT jsonb_build_object(
        'campaigns', (SELECT count(*) FROM legacy_quarantine WHERE NOT moved AND source_table = 'campaigns'),
        'user_profiles', (SELECT count(*) FROM legacy_quarantine WHERE NOT moved AND source_table = 'user_profiles'),
        'scraping_jobs', (
            SELECT count(*) FROM legacy_job_values AS o
            INNER JOIN scraping_jobs AS j ON o.job_id = j.id
            WHERE (o.platform, o.progress, o.cursor, o.target_results, o.region)
            IS DISTINCT FROM (j.platform, j.progress, j.cursor, j.target_results, j.region)
        )
    ) INTO normalised;
    INSERT INTO legacy_adoption (quarantined, normalised, comments) VALUES (quarantined, normalised, comments);
    RAISE NOTICE 'adopted the old system''s database; quarantined: %; normalised: %', quarantined, normalised;
END
$$;
