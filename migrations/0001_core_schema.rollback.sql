-- Drops the core schema (all data is lost), except on a database adopted from
-- the old system (0010), whose tables stay for 0010's rollback to restore.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    -- An adopted database keeps its tables: 0010's rollback gives them back
    -- their old shape. Here only what 0001 added to them goes.
    IF to_regclass('legacy_adoption') IS NOT NULL THEN
        IF EXISTS (SELECT FROM legacy_adoption) THEN
            DROP INDEX search_results_job_idx;
            DROP INDEX search_jobs_campaign_idx;
            DROP INDEX scraping_jobs_unfinished_idx;
            DROP INDEX scraping_jobs_campaign_created_idx;
            DROP INDEX scraping_jobs_user_created_idx;
            DROP INDEX campaigns_user_created_idx;
            RETURN;
        END IF;
    END IF;
    DROP TABLE search_results;
    DROP TABLE search_jobs;
    DROP TABLE system_configurations;
    DROP TABLE scraping_results;
    DROP TABLE scraping_jobs;
    DROP TABLE campaigns;
    DROP TABLE user_profiles;
END
$$;
