-- Gives an adopted database back its old shape, so that the old system can run
-- on it again: the old column types, names, defaults, comments and foreign keys, the
-- original values of every normalised row, and every quarantined row back in
-- its table. Rows written since adoption stay (a job of several pages keeps
-- one row per page). On any other database it drops the bookkeeping tables.
-- Runs after 0001's rollback, which leaves an adopted database's tables in place.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '30min';
-- timestamptz -> timestamp in UTC: a catalog change, no rewrite.
SET LOCAL timezone = 'UTC';

DO $$
DECLARE
    refused_table text;
    described record;
BEGIN
    IF NOT EXISTS (SELECT FROM legacy_adoption) THEN
        RETURN;
    END IF;

    ALTER TABLE search_results DROP CONSTRAINT search_results_job_id_fkey;
    ALTER TABLE search_jobs DROP CONSTRAINT search_jobs_campaign_id_fkey;
    ALTER TABLE scraping_results DROP CONSTRAINT scraping_results_job_id_fkey;
    ALTER TABLE scraping_jobs DROP CONSTRAINT scraping_jobs_campaign_id_fkey;

    ALTER TABLE search_results
    ALTER COLUMN platform TYPE varchar(20),
    ALTER COLUMN is_verified TYPE varchar(10),
    ALTER COLUMN is_verified SET DEFAULT 'false'::varchar,
    ALTER COLUMN created_at TYPE timestamp;

    ALTER TABLE search_jobs
    ALTER COLUMN platform TYPE varchar(20),
    ALTER COLUMN search_type TYPE varchar(20),
    ALTER COLUMN status TYPE varchar(20),
    ALTER COLUMN status SET DEFAULT 'queued'::varchar,
    ALTER COLUMN created_at TYPE timestamp,
    ALTER COLUMN updated_at TYPE timestamp,
    ALTER COLUMN completed_at TYPE timestamp;

    ALTER TABLE system_configurations
    RENAME CONSTRAINT system_configurations_category_key_key TO system_configurations_category_key_unique;
    ALTER TABLE system_configurations
    DROP CONSTRAINT system_configurations_category_check,
    DROP CONSTRAINT system_configurations_key_check,
    DROP CONSTRAINT system_configurations_value_type_check,
    ALTER COLUMN category TYPE varchar(50),
    ALTER COLUMN key TYPE varchar(100),
    ALTER COLUMN value_type TYPE varchar(20),
    ALTER COLUMN is_hot_reloadable DROP DEFAULT,
    ALTER COLUMN is_hot_reloadable TYPE varchar(5)
    USING CASE WHEN is_hot_reloadable THEN 'true' ELSE 'false' END,
    ALTER COLUMN is_hot_reloadable SET DEFAULT 'true',
    ALTER COLUMN created_at TYPE timestamp,
    ALTER COLUMN updated_at TYPE timestamp;

    ALTER TABLE scraping_results
    DROP CONSTRAINT scraping_results_job_page_key,
    DROP CONSTRAINT scraping_results_page_check,
    DROP CONSTRAINT scraping_results_creators_check,
    DROP COLUMN page,
    ALTER COLUMN job_id DROP NOT NULL,
    ALTER COLUMN created_at TYPE timestamp;

    ALTER TABLE scraping_jobs
    DROP CONSTRAINT scraping_jobs_user_id_check,
    DROP CONSTRAINT scraping_jobs_keywords_check,
    DROP CONSTRAINT scraping_jobs_target_username_check,
    DROP CONSTRAINT scraping_jobs_platform_check,
    DROP CONSTRAINT scraping_jobs_region_check,
    DROP CONSTRAINT scraping_jobs_target_results_check,
    DROP CONSTRAINT scraping_jobs_status_check,
    DROP CONSTRAINT scraping_jobs_processed_runs_check,
    DROP CONSTRAINT scraping_jobs_processed_results_check,
    DROP CONSTRAINT scraping_jobs_progress_check,
    DROP CONSTRAINT scraping_jobs_cursor_check,
    DROP CONSTRAINT scraping_jobs_search_params_check,
    DROP CONSTRAINT scraping_jobs_check,
    DROP COLUMN provider_cursor,
    DROP COLUMN locked_by,
    DROP COLUMN locked_until,
    DROP COLUMN attempts,
    DROP COLUMN next_attempt_at,
    ALTER COLUMN status TYPE varchar(20),
    ALTER COLUMN status SET DEFAULT 'pending'::varchar,
    ALTER COLUMN platform TYPE varchar(50),
    ALTER COLUMN platform SET DEFAULT 'Tiktok',
    ALTER COLUMN region TYPE varchar(10),
    ALTER COLUMN region SET DEFAULT 'US'::varchar,
    ALTER COLUMN created_at TYPE timestamp,
    ALTER COLUMN started_at TYPE timestamp,
    ALTER COLUMN completed_at TYPE timestamp,
    ALTER COLUMN timeout_at TYPE timestamp,
    ALTER COLUMN updated_at TYPE timestamp,
    ALTER COLUMN progress TYPE numeric,
    ALTER COLUMN progress SET DEFAULT '0'::numeric,
    ALTER COLUMN progress DROP NOT NULL,
    ALTER COLUMN cursor DROP NOT NULL,
    ALTER COLUMN campaign_id DROP NOT NULL;
    UPDATE scraping_jobs AS j SET
        platform = o.platform,
        progress = o.progress,
        cursor = o.cursor,
        target_results = o.target_results,
        region = o.region
    FROM legacy_job_values AS o
    WHERE j.id = o.job_id;

    ALTER TABLE campaigns
    DROP CONSTRAINT campaigns_user_id_check,
    DROP CONSTRAINT campaigns_name_check,
    DROP CONSTRAINT campaigns_description_check,
    DROP CONSTRAINT campaigns_search_type_check,
    DROP CONSTRAINT campaigns_status_check,
    ALTER COLUMN search_type TYPE varchar(20),
    ALTER COLUMN status TYPE varchar(20),
    ALTER COLUMN status SET DEFAULT 'draft'::varchar,
    ALTER COLUMN created_at TYPE timestamp,
    ALTER COLUMN updated_at TYPE timestamp;
    UPDATE campaigns AS c SET
        name = (jsonb_populate_record(c, q.original)).name,
        description = (jsonb_populate_record(c, q.original)).description,
        status = (jsonb_populate_record(c, q.original)).status
    FROM legacy_quarantine AS q
    WHERE q.source_table = 'campaigns' AND NOT q.moved AND q.source_id = c.id::text;

    ALTER TABLE user_profiles RENAME CONSTRAINT user_profiles_user_id_key TO user_profiles_user_id_unique;
    ALTER TABLE user_profiles
    DROP CONSTRAINT user_profiles_user_id_check,
    DROP CONSTRAINT user_profiles_email_check,
    DROP CONSTRAINT user_profiles_onboarding_step_check,
    DROP CONSTRAINT user_profiles_full_name_check,
    DROP CONSTRAINT user_profiles_business_name_check,
    DROP CONSTRAINT user_profiles_brand_description_check,
    DROP CONSTRAINT user_profiles_email_schedule_status_check,
    ALTER COLUMN signup_timestamp TYPE timestamp,
    ALTER COLUMN created_at TYPE timestamp,
    ALTER COLUMN updated_at TYPE timestamp,
    ALTER COLUMN onboarding_step TYPE varchar(50),
    ALTER COLUMN onboarding_step SET DEFAULT 'pending'::varchar,
    ALTER COLUMN email_schedule_status DROP NOT NULL;
    UPDATE user_profiles AS p SET
        full_name = (jsonb_populate_record(p, q.original)).full_name,
        business_name = (jsonb_populate_record(p, q.original)).business_name,
        brand_description = (jsonb_populate_record(p, q.original)).brand_description,
        email = (jsonb_populate_record(p, q.original)).email,
        email_schedule_status = (jsonb_populate_record(p, q.original)).email_schedule_status
    FROM legacy_quarantine AS q
    WHERE q.source_table = 'user_profiles' AND NOT q.moved AND q.source_id = p.id::text;

    -- The quarantined rows, parents first, with their old values.
    FOREACH refused_table IN ARRAY ARRAY[
        'campaigns', 'scraping_jobs', 'scraping_results', 'search_jobs', 'search_results', 'system_configurations',
        'user_profiles'
    ] LOOP
        EXECUTE format(
            'INSERT INTO %1$I SELECT (jsonb_populate_record(NULL::%1$I, original)).* FROM legacy_quarantine'
            ' WHERE source_table = %1$L AND moved ORDER BY id',
            refused_table
        );
    END LOOP;

    -- The comments as the old tables had them (ours go).
    FOR described IN
        SELECT c.relname AS table_name, a.attname AS column_name
        FROM pg_description AS d
        INNER JOIN pg_class AS c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
        LEFT JOIN pg_attribute AS a ON d.objsubid > 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN (
            'campaigns', 'scraping_jobs', 'scraping_results', 'search_jobs', 'search_results',
            'system_configurations', 'user_profiles'
        )
    LOOP
        IF described.column_name IS NULL THEN
            EXECUTE format('COMMENT ON TABLE %I IS NULL', described.table_name);
        ELSE
            EXECUTE format('COMMENT ON COLUMN %I.%I IS NULL', described.table_name, described.column_name);
        END IF;
    END LOOP;
    FOR described IN
        SELECT old.table_name, old.column_name, old.comment
        FROM legacy_adoption AS a
        CROSS JOIN LATERAL jsonb_to_recordset(a.comments) AS old (table_name text, column_name text, comment text)
    LOOP
        IF described.column_name IS NULL THEN
            EXECUTE format('COMMENT ON TABLE %I IS %L', described.table_name, described.comment);
        ELSE
            EXECUTE format(
                'COMMENT ON COLUMN %I.%I IS %L', described.table_name, described.column_name, described.comment
            );
        END IF;
    END LOOP;

    ALTER TABLE scraping_results ADD CONSTRAINT scraping_results_job_id_scraping_jobs_id_fk
    FOREIGN KEY (job_id) REFERENCES scraping_jobs (id);
    ALTER TABLE scraping_jobs ADD CONSTRAINT scraping_jobs_campaign_id_campaigns_id_fk
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id);
    ALTER TABLE search_results ADD CONSTRAINT search_results_job_id_search_jobs_id_fk
    FOREIGN KEY (job_id) REFERENCES search_jobs (id);
    ALTER TABLE search_jobs ADD CONSTRAINT search_jobs_campaign_id_campaigns_id_fk
    FOREIGN KEY (campaign_id) REFERENCES campaigns (id);
END
$$;

DROP TABLE legacy_job_values;
DROP TABLE legacy_quarantine;
DROP TABLE legacy_adoption;
