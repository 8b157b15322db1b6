-- Validates the constraints 0010 added NOT VALID to an adopted database. Each
-- VALIDATE scans its table under SHARE UPDATE EXCLUSIVE, which lets reads and
-- writes through (only other schema changes wait); the longest is the check
-- that every result page's creators is a JSON array, which reads every page.
-- Where the constraints were created valid (0001), each is a no-op.
-- depends: 0012_creators_of_every_shape

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '30min';

ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_user_id_check;
ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_email_check;
ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_onboarding_step_check;
ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_full_name_check;
ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_business_name_check;
ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_brand_description_check;
ALTER TABLE user_profiles VALIDATE CONSTRAINT user_profiles_email_schedule_status_check;
ALTER TABLE campaigns VALIDATE CONSTRAINT campaigns_user_id_check;
ALTER TABLE campaigns VALIDATE CONSTRAINT campaigns_name_check;
ALTER TABLE campaigns VALIDATE CONSTRAINT campaigns_description_check;
ALTER TABLE campaigns VALIDATE CONSTRAINT campaigns_search_type_check;
ALTER TABLE campaigns VALIDATE CONSTRAINT campaigns_status_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_user_id_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_keywords_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_target_username_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_platform_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_region_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_target_results_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_status_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_processed_runs_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_processed_results_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_progress_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_cursor_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_search_params_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_check;
ALTER TABLE scraping_jobs VALIDATE CONSTRAINT scraping_jobs_campaign_id_fkey;
ALTER TABLE scraping_results VALIDATE CONSTRAINT scraping_results_page_check;
ALTER TABLE scraping_results VALIDATE CONSTRAINT scraping_results_creators_check;
ALTER TABLE scraping_results VALIDATE CONSTRAINT scraping_results_job_id_fkey;
ALTER TABLE system_configurations VALIDATE CONSTRAINT system_configurations_category_check;
ALTER TABLE system_configurations VALIDATE CONSTRAINT system_configurations_key_check;
ALTER TABLE system_configurations VALIDATE CONSTRAINT system_configurations_value_type_check;
ALTER TABLE search_jobs VALIDATE CONSTRAINT search_jobs_campaign_id_fkey;
ALTER TABLE search_results VALIDATE CONSTRAINT search_results_job_id_fkey;
