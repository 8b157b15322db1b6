-- The email outbox: delivery state lives in user_profiles.email_schedule_status,
-- one object per email type. A worker claims an email under a lease (status
-- sending, phase claimed), marks it transmitting just before the message is
-- handed to the mail server, and then records sent. A claim whose lease ran
-- out before transmitting is safe to retry; one that was transmitting is not
-- retried, so that no email is ever sent twice. Every update after the claim
-- names the attempt it belongs to, so a worker that lost its lease changes nothing.
-- Index: user_profiles_email_status_gin (@> on type and status).

-- name: claim_due_email(email_type, lease_seconds)^
-- Take one email that is due: scheduled and past its retry time, or claimed by a
-- worker whose lease ran out before it started transmitting.
-- not null: user_id, attempt
UPDATE user_profiles AS p
SET
    email_schedule_status = jsonb_set(
        p.email_schedule_status,
        ARRAY[:email_type::text],
        (p.email_schedule_status -> :email_type::text) - 'nextAttemptAt' || jsonb_build_object(
            'status', 'sending',
            'phase', 'claimed',
            'attempts', coalesce((p.email_schedule_status #>> ARRAY[:email_type::text, 'attempts'])::integer, 0) + 1,
            'leaseUntil', now() + make_interval(secs => :lease_seconds::double precision)
        )
    )
WHERE
    p.id = (
        SELECT due.id
        FROM user_profiles AS due
        WHERE (
            due.email_schedule_status
            @> jsonb_build_object(:email_type::text, jsonb_build_object('status', 'scheduled'))
            AND coalesce(
                (due.email_schedule_status #>> ARRAY[:email_type::text, 'nextAttemptAt'])::timestamptz, '-infinity'
            )
            <= now()
        ) OR (
            due.email_schedule_status @> jsonb_build_object(
                :email_type::text, jsonb_build_object('status', 'sending', 'phase', 'claimed')
            )
            AND (due.email_schedule_status #>> ARRAY[:email_type::text, 'leaseUntil'])::timestamptz < now()
        )
        ORDER BY due.created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
RETURNING
    p.user_id,
    p.full_name,
    p.business_name,
    p.email,
    (p.email_schedule_status #>> ARRAY[:email_type::text, 'attempts'])::integer AS attempt;

-- name: mark_email_transmitting(user_id, email_type, attempt, message_id)$
-- The point of no return: recorded just before the message goes to the mail
-- server. Returns false when the claim was lost (then nothing must be sent).
WITH marked AS (
    UPDATE user_profiles AS p
    SET
        email_schedule_status = jsonb_set(
            p.email_schedule_status,
            ARRAY[:email_type::text],
            (p.email_schedule_status -> :email_type::text)
            || jsonb_build_object('phase', 'transmitting', 'messageId', :message_id::text)
        )
    WHERE
        p.user_id = :user_id
        AND p.email_schedule_status @> jsonb_build_object(
            :email_type::text,
            jsonb_build_object('status', 'sending', 'phase', 'claimed', 'attempts', :attempt::integer)
        )
    RETURNING 1
)

SELECT exists(SELECT FROM marked);

-- name: mark_email_sent(user_id, email_type, attempt, message_id)!
-- The mail server accepted the message.
UPDATE user_profiles AS p
SET
    email_schedule_status = jsonb_set(
        p.email_schedule_status,
        ARRAY[:email_type::text],
        (p.email_schedule_status -> :email_type::text) - 'phase' - 'leaseUntil' - 'lastError'
        || jsonb_build_object('status', 'sent', 'messageId', :message_id::text, 'timestamp', now())
    )
WHERE
    p.user_id = :user_id
    AND p.email_schedule_status @> jsonb_build_object(
        :email_type::text, jsonb_build_object('status', 'sending', 'attempts', :attempt::integer)
    );

-- name: retry_email_later(user_id, email_type, attempt, error, delay_seconds)!
-- The attempt failed before the message was accepted: schedule another one.
UPDATE user_profiles AS p
SET
    email_schedule_status = jsonb_set(
        p.email_schedule_status,
        ARRAY[:email_type::text],
        (p.email_schedule_status -> :email_type::text) - 'phase' - 'leaseUntil' - 'messageId'
        || jsonb_build_object(
            'status', 'scheduled',
            'lastError', :error::text,
            'nextAttemptAt', now() + make_interval(secs => :delay_seconds::double precision)
        )
    )
WHERE
    p.user_id = :user_id
    AND p.email_schedule_status @> jsonb_build_object(
        :email_type::text, jsonb_build_object('status', 'sending', 'attempts', :attempt::integer)
    );

-- name: mark_email_failed(user_id, email_type, attempt, error)!
-- Give up on an email: the last attempt failed, or it cannot be sent at all.
UPDATE user_profiles AS p
SET
    email_schedule_status = jsonb_set(
        p.email_schedule_status,
        ARRAY[:email_type::text],
        (p.email_schedule_status -> :email_type::text) - 'phase' - 'leaseUntil' - 'lastError' - 'nextAttemptAt'
        || jsonb_build_object('status', 'failed', 'error', :error::text, 'failedAt', now())
    )
WHERE
    p.user_id = :user_id
    AND p.email_schedule_status @> jsonb_build_object(
        :email_type::text, jsonb_build_object('status', 'sending', 'attempts', :attempt::integer)
    );

-- name: fail_interrupted_emails(email_type)$
-- Emails whose worker stopped while transmitting may or may not have been
-- delivered; they are marked failed, never retried. Returns how many.
-- not null
WITH interrupted AS (
    UPDATE user_profiles AS p
    SET
        email_schedule_status = jsonb_set(
            p.email_schedule_status,
            ARRAY[:email_type::text],
            (p.email_schedule_status -> :email_type::text) - 'phase' - 'leaseUntil'
            || jsonb_build_object(
                'status', 'failed',
                'error', 'delivery was interrupted while the message was being handed to the mail server; '
                || 'it may have arrived, so it is not sent again',
                'failedAt', now()
            )
        )
    WHERE
        p.email_schedule_status @> jsonb_build_object(
            :email_type::text, jsonb_build_object('status', 'sending', 'phase', 'transmitting')
        )
        AND (p.email_schedule_status #>> ARRAY[:email_type::text, 'leaseUntil'])::timestamptz < now()
    RETURNING 1
)

SELECT count(*) FROM interrupted;
