-- The old system's database, as its drizzle migrations (supabase/migrations
-- 0000-0008 by meta/_journal.json, then the hand-run 0009_trial_system,
-- 0010_search_indexes and 0011_admin_roles) leave it at commit 8087a51 of
-- Sanchay-T/influencer-platform-app, with rows of every shape its code wrote.
-- Written for the tests from that schema (lib/db/schema.ts); the adoption test
-- loads it into an empty database, migrates, and checks that nothing is lost.
-- Not named queries: aiosql skips a file that names none.
--
-- Messy cases, each from the old code:
-- * platform 'Tiktok' (keyword; the column default) and 'TikTok' (similar);
-- * progress written as strings: '45.0', '7.1899999999999995', NULL;
-- * cursor counting creators (40, 60), or NULL;
-- * one result row per job (or two, when a step appended a second), no page;
-- * creator entries nested without handle (TikTok keyword), nested with extra
--   fields (YouTube keyword, Instagram hashtag), nested plus flat (Instagram
--   similar), flat only (TikTok and YouTube similar);
-- * a job from before campaigns (campaign_id NULL), a result row without a job;
-- * campaign names as typed (untrimmed, longer than 100), a long description;
-- * timestamps without time zone (UTC), is_hot_reloadable as 'true'/'false';
-- * email_schedule_status entries welcome, abandonment, trial_day2, trial_day5;
-- * rows our constraints refuse: an unknown platform, a job in another user's
--   campaign, a campaign 'archived' (the old type allowed it), a camelCase
--   configuration key.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- drizzle-kit's own bookkeeping: not ours, must be left alone.
CREATE SCHEMA drizzle;
CREATE TABLE drizzle.__drizzle_migrations (
    id serial PRIMARY KEY,
    hash text NOT NULL,
    created_at bigint
);
INSERT INTO drizzle.__drizzle_migrations (hash, created_at)
SELECT
    md5('migration ' || n),
    1740788683616 + n * 86400000
FROM generate_series(0, 8) AS n;

CREATE TABLE campaigns (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    description text,
    search_type varchar(20) NOT NULL,
    status varchar(20) DEFAULT 'draft' NOT NULL,
    created_at timestamp DEFAULT now() NOT NULL,
    updated_at timestamp DEFAULT now() NOT NULL
);

CREATE TABLE scraping_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    user_id text NOT NULL,
    run_id text,
    status varchar(20) DEFAULT 'pending' NOT NULL,
    keywords jsonb,
    platform varchar(50) DEFAULT 'Tiktok' NOT NULL,
    region varchar(10) DEFAULT 'US' NOT NULL,
    created_at timestamp DEFAULT now() NOT NULL,
    started_at timestamp,
    completed_at timestamp,
    error text,
    timeout_at timestamp,
    campaign_id uuid,
    target_username text,
    search_params jsonb,
    qstash_message_id text,
    processed_runs integer DEFAULT 0 NOT NULL,
    processed_results integer DEFAULT 0 NOT NULL,
    target_results integer DEFAULT 1000 NOT NULL,
    updated_at timestamp DEFAULT now() NOT NULL,
    cursor integer DEFAULT 0,
    progress numeric DEFAULT '0',
    CONSTRAINT scraping_jobs_campaign_id_campaigns_id_fk FOREIGN KEY (campaign_id) REFERENCES campaigns (id)
);

CREATE TABLE scraping_results (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    job_id uuid,
    creators jsonb NOT NULL,
    created_at timestamp DEFAULT now() NOT NULL,
    CONSTRAINT scraping_results_job_id_scraping_jobs_id_fk FOREIGN KEY (job_id) REFERENCES scraping_jobs (id)
);

CREATE TABLE search_jobs (
    id text PRIMARY KEY NOT NULL,
    campaign_id uuid,
    platform varchar(20) NOT NULL,
    search_type varchar(20) NOT NULL,
    status varchar(20) DEFAULT 'queued' NOT NULL,
    total_count integer NOT NULL,
    completed_count integer DEFAULT 0 NOT NULL,
    created_at timestamp DEFAULT now() NOT NULL,
    updated_at timestamp DEFAULT now() NOT NULL,
    completed_at timestamp,
    CONSTRAINT search_jobs_campaign_id_campaigns_id_fk FOREIGN KEY (campaign_id) REFERENCES campaigns (id)
);

CREATE TABLE search_results (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    job_id text NOT NULL,
    profile_id text NOT NULL,
    username text NOT NULL,
    display_name text,
    platform varchar(20) NOT NULL,
    profile_url text,
    post_url text,
    post_description text,
    avatar_url text,
    followers integer DEFAULT 0,
    is_verified varchar(10) DEFAULT 'false',
    email text,
    bio text,
    raw_data jsonb,
    created_at timestamp DEFAULT now() NOT NULL,
    CONSTRAINT search_results_job_id_search_jobs_id_fk FOREIGN KEY (job_id) REFERENCES search_jobs (id)
);

CREATE TABLE system_configurations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    category varchar(50) NOT NULL,
    key varchar(100) NOT NULL,
    value text NOT NULL,
    value_type varchar(20) NOT NULL,
    description text,
    is_hot_reloadable varchar(5) DEFAULT 'true' NOT NULL,
    created_at timestamp DEFAULT now() NOT NULL,
    updated_at timestamp DEFAULT now() NOT NULL,
    CONSTRAINT system_configurations_category_key_unique UNIQUE (category, key)
);

CREATE TABLE user_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
    user_id text NOT NULL,
    name text,
    company_name text,
    industry text,
    email text,
    created_at timestamp DEFAULT now() NOT NULL,
    updated_at timestamp DEFAULT now() NOT NULL,
    signup_timestamp timestamp DEFAULT now() NOT NULL,
    onboarding_step varchar(50) DEFAULT 'pending' NOT NULL,
    full_name text,
    business_name text,
    brand_description text,
    email_schedule_status jsonb DEFAULT '{}',
    trial_start_date timestamp,
    trial_end_date timestamp,
    trial_status varchar(20) DEFAULT 'pending',
    stripe_customer_id text,
    stripe_subscription_id text,
    subscription_status varchar(20) DEFAULT 'none',
    is_admin boolean DEFAULT false,
    CONSTRAINT user_profiles_user_id_unique UNIQUE (user_id)
);

CREATE INDEX idx_user_profiles_trial_status ON user_profiles (trial_status);
CREATE INDEX idx_user_profiles_trial_dates ON user_profiles (trial_start_date, trial_end_date);
CREATE INDEX idx_user_profiles_stripe_customer ON user_profiles (stripe_customer_id);
CREATE INDEX idx_user_profiles_user_id_search ON user_profiles USING btree (user_id text_pattern_ops);
CREATE INDEX idx_user_profiles_full_name_search ON user_profiles USING gin (full_name gin_trgm_ops);
CREATE INDEX idx_user_profiles_business_name_search ON user_profiles USING gin (business_name gin_trgm_ops);
CREATE INDEX idx_user_profiles_admin_search ON user_profiles (created_at DESC, onboarding_step, trial_status);
CREATE INDEX idx_user_profiles_trial_info ON user_profiles (trial_status, trial_start_date, trial_end_date)
WHERE trial_status != 'pending';
CREATE INDEX idx_user_profiles_is_admin ON user_profiles (is_admin) WHERE is_admin = true;
CREATE INDEX idx_user_profiles_admin_details ON user_profiles (is_admin, full_name, email, updated_at);

CREATE FUNCTION update_admin_timestamp() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.is_admin IS DISTINCT FROM NEW.is_admin THEN
        NEW.updated_at = NOW();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trigger_update_admin_timestamp
BEFORE UPDATE OF is_admin ON user_profiles
FOR EACH ROW EXECUTE FUNCTION update_admin_timestamp();

COMMENT ON COLUMN user_profiles.is_admin IS 'Database-based admin role (old system).';

-- Profiles: onboarding complete with trial and billing; step 1 only, welcome still
-- scheduled with QStash; a profile of the pre-onboarding /api/profile route with
-- a NULL status; a full name longer than ours allows; an admin.
INSERT INTO user_profiles (
    id, user_id, name, company_name, industry, email, created_at, updated_at, signup_timestamp,
    onboarding_step, full_name, business_name, brand_description, email_schedule_status,
    trial_start_date, trial_end_date, trial_status, stripe_customer_id, stripe_subscription_id,
    subscription_status, is_admin
) VALUES
(
    'e0000000-0000-4000-8000-00000000000a', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', null, null, null,
    'ana@glowbrand.example', '2025-07-01 09:00:00', '2025-07-03 10:15:00', '2025-07-01 09:00:00',
    'completed', 'Ana Ruiz', 'Glow Brand', 'Clean skincare for sensitive skin; we look for beauty creators.',
    '{"welcome": {"status": "sent", "messageId": "msg_welcome_a", "timestamp": "2025-07-01T09:10:02.114Z"},
      "trial_day2": {"status": "sent", "messageId": "msg_day2_a", "timestamp": "2025-07-03T09:00:05.000Z"},
      "trial_day5": {"status": "scheduled", "messageId": "msg_day5_a", "timestamp": "2025-07-01T09:20:00.000Z"}}',
    '2025-07-01 09:20:00', '2025-07-08 09:20:00', 'active', 'cus_Pa1', 'sub_Pa1', 'trialing', false
),
(
    'e0000000-0000-4000-8000-00000000000b', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', null, null, null,
    null, '2025-07-05 18:30:00', '2025-07-05 18:30:00', '2025-07-05 18:30:00',
    'info_captured', 'Bo Chen', 'Chen & Daughters', null,
    '{"welcome": {"status": "scheduled", "messageId": "qstash_msg_b", "timestamp": "2025-07-05T18:30:01.000Z"},
      "abandonment": {"status": "failed", "error": "Resend 422", "timestamp": "2025-07-06T18:30:00.000Z"}}',
    null, null, 'pending', null, null, 'none', false
),
(
    'e0000000-0000-4000-8000-00000000000c', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfc', 'Carla', 'Carla Co', 'Fashion',
    'carla@example.com', '2025-03-02 08:00:00', '2025-03-02 08:00:00', '2025-03-02 08:00:00',
    'pending', null, null, null, null,
    null, null, 'pending', null, null, 'none', null
),
(
    'e0000000-0000-4000-8000-00000000000d', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfd', null, null, null,
    'd@example.com', '2025-07-07 23:59:59.123456', '2025-07-08 00:00:01', '2025-07-07 23:59:59.123456',
    'intent_captured', repeat('Dolores ', 15) || 'Delgado', 'Delgado Imports', repeat('We sell tiles. ', 10),
    '{"welcome": {"status": "sent", "messageId": "msg_welcome_d", "timestamp": "2025-07-08T00:10:00.000Z"}}',
    null, null, 'pending', null, null, 'none', false
),
(
    'e0000000-0000-4000-8000-0000000000ad', 'user_2zb4wFmyH7n6rV7ByOGNhexQVad', null, null, null,
    'ops@platform.example', '2025-02-01 00:00:00', '2025-02-01 00:00:00', '2025-02-01 00:00:00',
    'completed', 'Olga Ops', 'Platform', 'Admin account.', '{}',
    null, null, 'pending', null, null, 'none', true
);

-- Campaigns: every one 'draft' (the old code never changed a status), except one
-- 'archived' row (allowed by the old type, refused by ours).
INSERT INTO campaigns (id, user_id, name, description, search_type, status, created_at, updated_at) VALUES
(
    'a0000000-0000-4000-8000-000000000001', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', '  Summer launch  ',
    'TikTok and YouTube creators for the summer line', 'keyword', 'draft', '2025-07-02 10:00:00', '2025-07-02 10:00:00'
),
(
    'a0000000-0000-4000-8000-000000000002', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', 'Lookalikes of @glowqueen',
    null, 'similar', 'draft', '2025-07-02 11:00:00', '2025-07-02 11:00:00'
),
(
    'a0000000-0000-4000-8000-000000000003', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa',
    'Q3 ' || repeat('hashtag research across beauty niches ', 4), '', 'keyword', 'draft',
    '2025-07-03 08:00:00', '2025-07-03 08:00:00'
),
(
    'a0000000-0000-4000-8000-000000000004', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', 'Tiles',
    repeat('Creators who film kitchens and bathrooms. ', 17), 'keyword', 'draft',
    '2025-07-05 19:00:00', '2025-07-05 19:00:00'
),
(
    'a0000000-0000-4000-8000-000000000005', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', 'Like @tileguy', 'Similar',
    'similar', 'draft', '2025-07-05 19:05:00', '2025-07-05 19:05:00'
),
(
    'a0000000-0000-4000-8000-000000000006', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', 'Old one', null,
    'keyword', 'archived', '2025-06-01 12:00:00', '2025-06-01 12:00:00'
),
(
    'a0000000-0000-4000-8000-000000000007', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfd', 'Kitchens', null,
    'keyword', 'draft', '2025-07-08 00:05:00', '2025-07-08 00:05:00'
);

INSERT INTO scraping_jobs (
    id, user_id, run_id, status, keywords, platform, region, created_at, started_at, completed_at, error,
    timeout_at, campaign_id, target_username, search_params, qstash_message_id, processed_runs,
    processed_results, target_results, updated_at, cursor, progress
) VALUES
-- TikTok keyword, still running when the old system stopped.
(
    'b0000000-0000-4000-8000-000000000001', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', null, 'processing',
    '["summer fashion", "Beach Outfits"]', 'Tiktok', 'US', '2025-07-02 10:05:00', '2025-07-02 10:05:02', null,
    null, '2025-07-02 11:05:00', 'a0000000-0000-4000-8000-000000000001', null, null, 'qmsg_1', 2, 3, 1000,
    '2025-07-02 10:06:00', 40, '7.1899999999999995'
),
-- TikTok keyword, completed, two result rows (the second appended by a later step).
(
    'b0000000-0000-4000-8000-000000000002', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', null, 'completed',
    '["sunscreen"]', 'Tiktok', 'US', '2025-07-02 12:00:00', '2025-07-02 12:00:01', '2025-07-02 12:03:00',
    null, '2025-07-02 13:00:00', 'a0000000-0000-4000-8000-000000000001', null, null, 'qmsg_2', 3, 5, 5,
    '2025-07-02 12:03:00', 60, '100'
),
-- YouTube keyword.
(
    'b0000000-0000-4000-8000-000000000003', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', null, 'completed',
    '["morning routine"]', 'YouTube', 'US', '2025-07-02 13:00:00', '2025-07-02 13:00:01', '2025-07-02 13:02:00',
    null, '2025-07-02 14:00:00', 'a0000000-0000-4000-8000-000000000001', null, null, null, 1, 2, 100,
    '2025-07-02 13:02:00', 2, '100'
),
-- Instagram hashtag (Apify run id), failed at 45 %.
(
    'b0000000-0000-4000-8000-000000000004', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', 'apify_run_7Gh2', 'error',
    '["#glowup"]', 'Instagram', 'US', '2025-07-03 08:10:00', '2025-07-03 08:10:03', '2025-07-03 08:20:00',
    'Apify run failed: ACTOR_TIMEOUT', '2025-07-03 09:10:00', 'a0000000-0000-4000-8000-000000000003', null,
    null, null, 4, 2, 100, '2025-07-03 08:20:00', 0, '45.0'
),
-- TikTok similar: flat creators only, 12 of them.
(
    'b0000000-0000-4000-8000-000000000005', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', null, 'completed', null,
    'TikTok', 'US', '2025-07-02 11:05:00', '2025-07-02 11:05:01', '2025-07-02 11:06:00', null,
    '2025-07-02 12:05:00', 'a0000000-0000-4000-8000-000000000002', 'glowqueen', null, 'qmsg_5', 1, 12, 10,
    '2025-07-02 11:06:00', 12, '100'
),
-- Instagram similar: nested plus flat fields.
(
    'b0000000-0000-4000-8000-000000000006', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', null, 'completed', null,
    'Instagram', 'US', '2025-07-02 11:10:00', '2025-07-02 11:10:01', '2025-07-02 11:12:00', null,
    '2025-07-02 12:10:00', 'a0000000-0000-4000-8000-000000000002', 'glowqueen', null, null, 1, 3, 20,
    '2025-07-02 11:12:00', 3, '100'
),
-- YouTube similar: flat creators, timed out.
(
    'b0000000-0000-4000-8000-000000000007', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', null, 'timeout', null,
    'YouTube', 'US', '2025-07-05 19:06:00', '2025-07-05 19:06:01', '2025-07-05 20:06:00',
    'Job exceeded maximum allowed time', '2025-07-05 20:06:00', 'a0000000-0000-4000-8000-000000000005',
    'tileguy', '{"targetChannel": "@tileguy"}', null, 2, 4, 100, '2025-07-05 20:06:00', 4, '70.3'
),
-- TikTok keyword never started: progress and cursor NULL, a target above ours.
(
    'b0000000-0000-4000-8000-000000000008', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', null, 'pending',
    '["tile"]', 'Tiktok', 'us', '2025-07-05 19:01:00', null, null, null, '2025-07-05 20:01:00',
    'a0000000-0000-4000-8000-000000000004', null, null, null, 0, 0, 20000, '2025-07-05 19:01:00', null, null
),
-- From before campaigns existed.
(
    'b0000000-0000-4000-8000-000000000009', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfa', 'apify_run_old', 'completed',
    '["skincare"]', 'Tiktok', 'US', '2025-03-01 10:00:00', '2025-03-01 10:00:01', '2025-03-01 10:02:00',
    null, null, null, null, null, null, 1, 1, 1000, '2025-03-01 10:02:00', 1, '100'
),
-- An unknown platform.
(
    'b0000000-0000-4000-8000-000000000010', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', null, 'completed',
    '["tiles"]', 'Twitter', 'US', '2025-07-05 19:02:00', null, '2025-07-05 19:03:00', null, null,
    'a0000000-0000-4000-8000-000000000004', null, null, null, 1, 1, 100, '2025-07-05 19:03:00', 1, '100'
),
-- In another user's campaign.
(
    'b0000000-0000-4000-8000-000000000011', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', null, 'pending',
    '["beach"]', 'Tiktok', 'US', '2025-07-05 19:03:00', null, null, null, null,
    'a0000000-0000-4000-8000-000000000001', null, null, null, 0, 0, 100, '2025-07-05 19:03:00', 0, '0'
),
-- In the archived campaign.
(
    'b0000000-0000-4000-8000-000000000012', 'user_2zb4wFmyH7n6rV7ByOGNhexQVfb', null, 'completed',
    '["grout"]', 'Tiktok', 'US', '2025-06-01 12:01:00', null, '2025-06-01 12:02:00', null, null,
    'a0000000-0000-4000-8000-000000000006', null, null, null, 1, 0, 100, '2025-06-01 12:02:00', 0, '100'
);

-- TikTok keyword entries: nested, no handle, bio or emails.
INSERT INTO scraping_results (id, job_id, creators, created_at) VALUES
(
    'c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001',
    '[{"creator": {"name": "Sunny Days", "followers": 120400, "avatarUrl": "https://p16-sign.tiktokcdn.com/a1.jpeg",
        "profilePicUrl": "https://p16-sign.tiktokcdn.com/a1.jpeg"},
       "video": {"description": "3 summer looks #summerfashion", "url": "https://www.tiktok.com/@sunny/video/1",
        "statistics": {"likes": 5400, "comments": 120, "shares": 80, "views": 98000}},
       "hashtags": ["#summerfashion"], "platform": "TikTok"},
      {"creator": {"name": "Beach Babe", "followers": 9800, "avatarUrl": ""},
       "video": {"description": "beach fit", "url": "https://www.tiktok.com/@bb/video/2",
        "statistics": {"likes": 300, "comments": 4, "shares": 1, "views": 4000}},
       "hashtags": [], "platform": "TikTok"},
      {"creator": {"name": "Marco", "followers": "n/a"},
       "video": {"description": "", "url": "https://www.tiktok.com/@marco/video/3",
        "statistics": {"likes": 1, "comments": 0, "shares": 0, "views": 0}},
       "hashtags": ["#Beach", "#OOTD"], "platform": "TikTok"}]',
    '2025-07-02 10:06:00'
),
(
    'c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002',
    '[{"creator": {"name": "SPF Sam", "followers": 45000, "avatarUrl": "https://p16.tiktokcdn.com/s.jpeg"},
       "video": {"description": "reapply!", "url": "https://www.tiktok.com/@spf/video/10",
        "statistics": {"likes": 2000, "comments": 50, "shares": 10, "views": 30000}},
       "hashtags": ["#sunscreen"], "platform": "TikTok"},
      {"creator": {"name": "Derm Dani", "followers": 310000, "avatarUrl": ""},
       "video": {"description": "spf myths", "url": "https://www.tiktok.com/@derm/video/11",
        "statistics": {"likes": 22000, "comments": 900, "shares": 400, "views": 410000}},
       "hashtags": ["#sunscreen", "#derm"], "platform": "TikTok"},
      {"creator": {"name": "Lia", "followers": 800, "avatarUrl": ""},
       "video": {"description": "my spf", "url": "https://www.tiktok.com/@lia/video/12",
        "statistics": {"likes": 30, "comments": 2, "shares": 0, "views": 700}},
       "hashtags": [], "platform": "TikTok"}]',
    '2025-07-02 12:01:00'
),
(
    'c0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000002',
    '[{"creator": {"name": "SPF Sam", "followers": 45100, "avatarUrl": "https://p16.tiktokcdn.com/s.jpeg"},
       "video": {"description": "reapply part 2", "url": "https://www.tiktok.com/@spf/video/13",
        "statistics": {"likes": 2500, "comments": 60, "shares": 12, "views": 31000}},
       "hashtags": ["#sunscreen"], "platform": "TikTok"},
      {"creator": {"name": "Noor", "followers": 15000, "avatarUrl": ""},
       "video": {"description": "tinted spf", "url": "https://www.tiktok.com/@noor/video/14",
        "statistics": {"likes": 900, "comments": 20, "shares": 5, "views": 12000}},
       "hashtags": ["#spf"], "platform": "TikTok"}]',
    '2025-07-02 12:02:30'
),
-- YouTube keyword entries: nested with extra fields.
(
    'c0000000-0000-4000-8000-000000000004', 'b0000000-0000-4000-8000-000000000003',
    '[{"creator": {"name": "Morning Mia", "followers": 0, "avatarUrl": "https://yt3.ggpht.com/m.jpg",
        "profilePicUrl": "https://yt3.ggpht.com/m.jpg"},
       "video": {"description": "My 5am routine", "url": "https://www.youtube.com/watch?v=abc",
        "statistics": {"likes": 0, "comments": 0, "shares": 0, "views": 120000}},
       "hashtags": ["#morningroutine"], "createTime": 1719900000, "platform": "YouTube",
       "keywords": ["morning routine"], "publishedTime": "1 year ago", "lengthSeconds": 612,
       "channelId": "UC_mia"},
      {"creator": {"name": "Routine Rob", "followers": 0, "avatarUrl": "https://yt3.ggpht.com/r.jpg"},
       "video": {"description": "Productive morning", "url": "https://www.youtube.com/watch?v=def",
        "statistics": {"likes": 0, "comments": 0, "shares": 0, "views": 5000}},
       "hashtags": [], "platform": "YouTube", "keywords": ["morning routine"], "channelId": "UC_rob"}]',
    '2025-07-02 13:02:00'
),
-- Instagram hashtag entries: nested with extra fields (some with bio and emails).
(
    'c0000000-0000-4000-8000-000000000005', 'b0000000-0000-4000-8000-000000000004',
    '[{"creator": {"name": "Glow Gail", "uniqueId": "glowgail", "followers": 56000, "avatarUrl": "",
        "verified": true, "bio": "skincare | gail@glowmail.example", "emails": ["gail@glowmail.example"]},
       "video": {"description": "#glowup routine", "url": "https://www.instagram.com/p/XYZ/",
        "statistics": {"likes": 3000, "comments": 75, "shares": 0, "views": 0}},
       "hashtags": ["#glowup"], "platform": "Instagram", "ownerId": "99"},
      {"creator": {"name": "Hana", "uniqueId": "hana.skin", "followers": 1200, "avatarUrl": "", "bio": "",
        "emails": []},
       "video": {"description": "", "url": "https://www.instagram.com/p/ABC/",
        "statistics": {"likes": 100, "comments": 2, "shares": 0, "views": 0}},
       "hashtags": ["#glowup", "#skin"], "platform": "Instagram"}]',
    '2025-07-03 08:15:00'
),
-- Instagram similar entries: nested plus flat.
(
    'c0000000-0000-4000-8000-000000000006', 'b0000000-0000-4000-8000-000000000006',
    '[{"creator": {"name": "Glow Twin", "uniqueId": "glowtwin", "followers": 88000, "avatarUrl": "",
        "profilePicUrl": "", "verified": true, "bio": "twin@glow.example", "emails": ["twin@glow.example"]},
       "video": {"description": "Instagram profile: @glowtwin", "url": "https://instagram.com/glowtwin",
        "statistics": {"likes": 0, "comments": 0, "views": 0, "shares": 0}},
       "hashtags": [], "platform": "Instagram", "id": "1001", "username": "glowtwin", "full_name": "Glow Twin",
       "is_private": false, "is_verified": true, "profile_pic_url": "", "profileUrl": "https://instagram.com/glowtwin",
       "bio": "twin@glow.example", "emails": ["twin@glow.example"], "followers_count": 88000},
      {"creator": {"name": "Skin Sis", "uniqueId": "skinsis", "followers": 0, "avatarUrl": "", "bio": "",
        "emails": []},
       "video": {"description": "Instagram profile: @skinsis", "url": "https://instagram.com/skinsis",
        "statistics": {"likes": 0, "comments": 0, "views": 0, "shares": 0}},
       "hashtags": [], "platform": "Instagram", "id": "1002", "username": "skinsis", "full_name": "Skin Sis",
       "is_private": true, "is_verified": false, "profile_pic_url": "", "profileUrl": "https://instagram.com/skinsis"},
      {"creator": {"name": "Unknown Creator", "uniqueId": "", "followers": 0},
       "video": {"description": "Instagram profile: @", "url": "https://instagram.com/",
        "statistics": {"likes": 0, "comments": 0, "views": 0, "shares": 0}},
       "hashtags": [], "platform": "Instagram", "id": "1003", "username": "nameless_1003", "full_name": ""}]',
    '2025-07-02 11:12:00'
),
-- Jobs that will be quarantined, with their rows.
(
    'c0000000-0000-4000-8000-000000000009', 'b0000000-0000-4000-8000-000000000009',
    '[{"creator": {"name": "Early Bird", "followers": 10}, "platform": "TikTok"}]', '2025-03-01 10:02:00'
),
(
    'c0000000-0000-4000-8000-000000000010', 'b0000000-0000-4000-8000-000000000010',
    '[{"creator": {"name": "Tweeter", "followers": 10}, "platform": "Twitter"}]', '2025-07-05 19:03:00'
),
-- A result row that lost its job reference.
('c0000000-0000-4000-8000-000000000099', null, '[]', '2025-07-01 00:00:00');

-- TikTok similar: 12 flat creators (no creator object, no handle inside one).
INSERT INTO scraping_results (id, job_id, creators, created_at)
SELECT
    'c0000000-0000-4000-8000-000000000007',
    'b0000000-0000-4000-8000-000000000005',
    jsonb_agg(
        jsonb_build_object(
            'id', (7000 + n)::text,
            'username', 'glow_alike_' || n,
            'full_name', 'Glow Alike ' || n,
            'is_private', false,
            'is_verified', n % 4 = 0,
            'profile_pic_url', 'https://p16-sign.tiktokcdn.com/alike' || n || '.jpeg',
            'displayName', 'Glow Alike ' || n,
            'followerCount', 1000 * n * n,
            'followingCount', 10 * n,
            'videoCount', n,
            'totalLikes', 500 * n,
            'verified', n % 4 = 0,
            'profilePicUrl', 'https://p16-sign.tiktokcdn.com/alike' || n || '.jpeg',
            'bio', CASE WHEN n % 3 = 0 THEN 'collabs: alike' || n || '@mail.example' ELSE 'just vibes' END,
            'emails', CASE WHEN n % 3 = 0 THEN jsonb_build_array('alike' || n || '@mail.example') ELSE '[]' END,
            'profileUrl', 'https://www.tiktok.com/@glow_alike_' || n,
            'handle', 'glow_alike_' || n,
            'isPrivate', false,
            'platform', 'TikTok'
        )
        ORDER BY n
    ),
    '2025-07-02 11:06:00'
FROM generate_series(1, 12) AS n;

-- YouTube similar: 4 flat creators (no platform field).
INSERT INTO scraping_results (id, job_id, creators, created_at)
SELECT
    'c0000000-0000-4000-8000-000000000008',
    'b0000000-0000-4000-8000-000000000007',
    jsonb_agg(
        jsonb_build_object(
            'id', 'UC_tile_' || n,
            'name', 'Tile Channel ' || n,
            'handle', '@tilechannel' || n,
            'username', 'tilechannel' || n,
            'full_name', 'Tile Channel ' || n,
            'thumbnail', 'https://yt3.ggpht.com/t' || n || '.jpg',
            'followers', 2500 * n,
            'bio', 'Tiling tutorials',
            'emails', '[]'::jsonb,
            'relevanceScore', 0.9 - n / 10.0
        )
        ORDER BY n
    ),
    '2025-07-05 20:00:00'
FROM generate_series(1, 4) AS n;

-- The legacy search tables (written by an earlier search implementation).
INSERT INTO search_jobs (
    id, campaign_id, platform, search_type, status, total_count, completed_count, created_at, updated_at,
    completed_at
) VALUES
(
    'sj_8f2k1', 'a0000000-0000-4000-8000-000000000001', 'tiktok', 'keyword', 'completed', 2, 2,
    '2025-06-20 10:00:00', '2025-06-20 10:01:00', '2025-06-20 10:01:00'
),
('sj_0a9x3', null, 'instagram', 'similar', 'queued', 50, 0, '2025-06-21 10:00:00', '2025-06-21 10:00:00', null);

INSERT INTO search_results (
    id, job_id, profile_id, username, display_name, platform, profile_url, post_url, post_description,
    avatar_url, followers, is_verified, email, bio, raw_data, created_at
) VALUES
(
    'd0000000-0000-4000-8000-000000000001', 'sj_8f2k1', 'tt_1', 'sunny', 'Sunny Days', 'tiktok',
    'https://www.tiktok.com/@sunny', null, null, null, 120000, 'true', null, 'summer', '{"source": "v1"}',
    '2025-06-20 10:00:30'
),
(
    'd0000000-0000-4000-8000-000000000002', 'sj_8f2k1', 'tt_2', 'marco', null, 'tiktok', null, null, null,
    null, 300, 'false', 'marco@example.com', null, null, '2025-06-20 10:00:40'
);

-- Settings the old admin page stored ('false' and 'true' as strings), and one
-- whose camelCase key our constraint refuses.
INSERT INTO system_configurations (
    id, category, key, value, value_type, description, is_hot_reloadable, created_at, updated_at
) VALUES
(
    'f0000000-0000-4000-8000-000000000001', 'api_limits', 'max_api_calls_for_testing', '5', 'number',
    'Maximum API calls for testing', 'true', '2025-06-01 00:00:00', '2025-07-01 12:00:00'
),
(
    'f0000000-0000-4000-8000-000000000002', 'timeouts', 'standard_job_timeout', '60m', 'duration',
    'Standard job timeout', 'true', '2025-06-01 00:00:00', '2025-06-01 00:00:00'
),
(
    'f0000000-0000-4000-8000-000000000003', 'qstash_delays', 'realtime_delay', '5s', 'duration',
    'Delay between realtime steps', 'false', '2025-06-01 00:00:00', '2025-06-01 00:00:00'
),
(
    'f0000000-0000-4000-8000-000000000004', 'cache', 'template_cache_ttl', '1h', 'duration', null, 'false',
    '2025-06-01 00:00:00', '2025-06-01 00:00:00'
),
(
    'f0000000-0000-4000-8000-000000000005', 'email', 'maxRetries', '3', 'number', 'Set by hand', 'true',
    '2025-06-02 00:00:00', '2025-06-02 00:00:00'
);
