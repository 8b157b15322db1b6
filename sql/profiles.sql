-- User profiles and onboarding. Steps only move forward:
-- pending -> info_captured -> intent_captured -> completed.

-- name: save_onboarding_step_one(user_id, full_name, business_name, email)!
-- Create the profile (scheduling its welcome email) or update its names, in one
-- statement, so two concurrent first calls still make one profile and one email.
-- An email from the token replaces the cached one; without it the cached one stays.
-- nullable: email
INSERT INTO user_profiles AS p (user_id, full_name, business_name, email, onboarding_step, email_schedule_status)
VALUES (
    :user_id,
    :full_name,
    :business_name,
    :email,
    'info_captured',
    jsonb_set('{}'::jsonb, '{welcome}', jsonb_build_object('status', 'scheduled', 'scheduledAt', now(), 'attempts', 0))
)
ON CONFLICT (user_id) DO UPDATE
    SET
        full_name = excluded.full_name,
        business_name = excluded.business_name,
        email = coalesce(excluded.email, p.email),
        onboarding_step = CASE WHEN p.onboarding_step = 'pending' THEN 'info_captured' ELSE p.onboarding_step END,
        updated_at = now();

-- name: save_onboarding_step_two(user_id, brand_description)$
-- Store the brand description of a user past step 1, moving pending step 2 forward.
-- Returns the step, or NULL when the user has not done step 1.
UPDATE user_profiles
SET
    brand_description = :brand_description,
    onboarding_step = CASE WHEN onboarding_step = 'info_captured' THEN 'intent_captured' ELSE onboarding_step END,
    updated_at = now()
WHERE user_id = :user_id AND onboarding_step <> 'pending'
RETURNING onboarding_step;

-- name: complete_onboarding(user_id)$
-- Mark onboarding completed for a user past step 2. Returns the step, or NULL
-- when the user has not done steps 1 and 2.
UPDATE user_profiles
SET
    onboarding_step = 'completed',
    updated_at = CASE WHEN onboarding_step = 'completed' THEN updated_at ELSE now() END
WHERE user_id = :user_id AND onboarding_step IN ('intent_captured', 'completed')
RETURNING onboarding_step;

-- name: get_profile(user_id)$
-- A user's profile as API JSON text, or NULL before step 1. Index: user_profiles_user_id_key.
SELECT api_profile(p)::text FROM user_profiles AS p
WHERE p.user_id = :user_id;

-- name: list_profiles_by_email_status(email_type, email_status, page_size)$
-- Newest profiles whose email of this type exists (NULL status) or is in this
-- status, as the API's {"profiles": [...]} JSON text. The single @> condition is
-- served by user_profiles_email_status_gin in generic plans too.
-- not null
SELECT
    json_build_object(
        'profiles', coalesce(json_agg(api_profile(p) ORDER BY p.created_at DESC, p.id DESC), '[]')
    )::text
FROM (
    SELECT *
    FROM user_profiles AS candidate
    WHERE
        candidate.email_schedule_status @> jsonb_build_object(
            :email_type::text,
            CASE WHEN :email_status::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('status', :email_status) END
        )
    ORDER BY candidate.created_at DESC, candidate.id DESC
    LIMIT :page_size
) AS p;

-- name: get_onboarding_status(user_id)$
-- Where a user is in onboarding, as the old frontend's status JSON text
-- (userId, onboardingStep, fullName, businessName, brandDescription,
-- signupTimestamp), or NULL before step 1. Index: user_profiles_user_id_key.
SELECT
    json_build_object(
        'userId', p.user_id,
        'onboardingStep', p.onboarding_step,
        'fullName', p.full_name,
        'businessName', p.business_name,
        'brandDescription', p.brand_description,
        'signupTimestamp', p.signup_timestamp
    )::text
FROM user_profiles AS p
WHERE p.user_id = :user_id;
