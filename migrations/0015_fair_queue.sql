-- The fair job queue (issue 13): when each job last had a step claimed, so the
-- claim can serve the user who has waited longest; one row per provider that
-- every claim locks: it serialises claims (so the per-user and per-provider
-- caps hold across worker processes) and carries the provider's call-rate
-- bucket and any pause a 429 answer asked for; and the claim itself, a
-- function of two statements so that it is one round trip and holds the lock
-- only while it runs (sql/job_queue.sql, claim_next_step, calls it).
-- depends: 0013_validate_adopted_constraints

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '1min';

-- No default: adding the column rewrites nothing.
ALTER TABLE scraping_jobs ADD COLUMN step_claimed_at timestamptz;
COMMENT ON COLUMN scraping_jobs.step_claimed_at IS
'When a worker last claimed a step (one provider call) of this job; NULL before the first. Orders the fair claim.';

CREATE TABLE provider_call_limits (
    provider text PRIMARY KEY CHECK (char_length(provider) BETWEEN 1 AND 50),
    tokens double precision NOT NULL CHECK (tokens <= 1),
    refilled_at timestamptz NOT NULL,
    paused_until timestamptz
);

COMMENT ON TABLE provider_call_limits IS
'One row per scraping provider, locked by every step claim: serialises claims across worker processes.';
COMMENT ON COLUMN provider_call_limits.tokens IS
'Call-rate bucket: a call needs one token; tokens refill at the configured calls per second, up to one.';
COMMENT ON COLUMN provider_call_limits.refilled_at IS 'When tokens was last brought up to date.';
COMMENT ON COLUMN provider_call_limits.paused_until IS
'No call to this provider starts before this time (set from a 429 answer''s Retry-After).';

-- Two statements, each with its own snapshot (a VOLATILE function takes a new
-- one per statement), planned once per session (PL/pgSQL keeps the plans): the first locks the provider's row (held until the
-- caller's transaction ends) and refills its bucket; the second, which
-- therefore sees every claim committed before it, takes the step. Served first
-- is the user whose latest step claim is oldest (never served: first of all),
-- then that user's job that has waited longest (since its last step claim, or
-- since its creation). Only when the provider's rate and pause allow a call
-- now, fewer than p_max_calls_in_flight jobs are held by other slots, and the
-- user has fewer than p_max_jobs_per_user jobs held by other slots. A job is
-- claimable when no live lease holds it (or this very slot does), its retry
-- time, if any, has come, and its time limit has not. The job this slot holds
-- from its last step (p_held_job_id) is released unless it is the one chosen;
-- the chosen step spends a rate token. Returns one row: the seconds until the
-- provider may be called (0: now), and the claimed job's columns (NULL when
-- none was claimed). Index: scraping_jobs_queue_user_idx (migration 0016).
CREATE FUNCTION claim_job_step(
    p_worker_id text,
    p_held_job_id uuid,
    p_lease_seconds double precision,
    p_provider text,
    p_calls_per_second double precision,
    p_max_calls_in_flight integer,
    p_max_jobs_per_user integer
) RETURNS TABLE (
    wait_seconds double precision,
    id uuid,
    platform text,
    keywords jsonb,
    target_username text,
    region text,
    target_results integer,
    cursor integer,
    provider_cursor text,
    processed_runs integer,
    processed_results integer,
    attempts integer,
    search_params jsonb
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
INSERT INTO provider_call_limits AS l (provider, tokens, refilled_at)
VALUES (p_provider, 1, clock_timestamp())
ON CONFLICT (provider) DO UPDATE
    SET
        tokens = least(
            1,
            l.tokens + extract(EPOCH FROM clock_timestamp() - l.refilled_at)::double precision * p_calls_per_second
        ),
        refilled_at = clock_timestamp();

RETURN QUERY
WITH turn AS (
    SELECT
        greatest(
            0,
            (1 - tokens) / p_calls_per_second,
            extract(EPOCH FROM paused_until - clock_timestamp())::double precision
        ) AS wait_seconds
    FROM provider_call_limits
    WHERE provider = p_provider
),

unfinished AS (
    SELECT
        user_id,
        step_claimed_at,
        coalesce(locked_until > now() AND locked_by <> p_worker_id, FALSE) AS held_elsewhere
    FROM scraping_jobs
    WHERE status IN ('pending', 'processing')
),

users AS (
    SELECT
        user_id,
        max(step_claimed_at) AS served_at
    FROM unfinished
    GROUP BY user_id
    HAVING count(*) FILTER (WHERE held_elsewhere) < p_max_jobs_per_user
),

chosen AS (
    SELECT
        j.id,
        j.status AS previous_status
    FROM scraping_jobs AS j
    INNER JOIN users AS u ON j.user_id = u.user_id
    WHERE
        (SELECT t.wait_seconds FROM turn AS t) <= 0
        AND (SELECT count(*) FILTER (WHERE held_elsewhere) FROM unfinished) < p_max_calls_in_flight
        AND j.status IN ('pending', 'processing')
        AND (j.locked_until IS NULL OR j.locked_until < now() OR j.locked_by = p_worker_id)
        AND (j.next_attempt_at IS NULL OR j.next_attempt_at <= now())
        AND (j.timeout_at IS NULL OR j.timeout_at > now())
    ORDER BY u.served_at ASC NULLS FIRST, coalesce(j.step_claimed_at, j.created_at) ASC, j.id ASC
    LIMIT 1
    FOR UPDATE OF j SKIP LOCKED
),

released AS (
    UPDATE scraping_jobs AS j
    SET locked_by = NULL, locked_until = NULL, updated_at = now()
    WHERE
        j.id = p_held_job_id
        AND j.locked_by = p_worker_id
        AND j.id NOT IN (SELECT c.id FROM chosen AS c)
),

claimed AS (
    UPDATE scraping_jobs AS j
    SET
        status = 'processing',
        started_at = coalesce(j.started_at, now()),
        run_id = p_worker_id,
        locked_by = p_worker_id,
        locked_until = now() + make_interval(secs => p_lease_seconds),
        step_claimed_at = clock_timestamp(),
        updated_at = now()
    FROM chosen AS c
    WHERE j.id = c.id
    RETURNING j.*, c.previous_status
),

spent AS (
    UPDATE provider_call_limits
    SET tokens = tokens - 1
    WHERE provider = p_provider AND EXISTS (SELECT 1 FROM claimed)
),

-- A job that starts (pending to processing) is news for its event stream.
notified AS (
    SELECT pg_notify('job_progress', c.id::text)
    FROM claimed AS c
    WHERE c.previous_status = 'pending'
)

SELECT
    t.wait_seconds,
    c.id,
    c.platform,
    c.keywords,
    c.target_username,
    c.region,
    c.target_results,
    c.cursor,
    c.provider_cursor,
    c.processed_runs,
    c.processed_results,
    c.attempts,
    c.search_params
FROM turn AS t
LEFT JOIN claimed AS c ON TRUE
-- Always true: a CTE that only reads runs when referenced, and this sends the notification.
WHERE (SELECT count(*) FROM notified) >= 0;
END;
$$;

COMMENT ON FUNCTION claim_job_step(text, uuid, double precision, text, double precision, integer, integer) IS
'Claims the next step of the job queue fairly for a worker slot (sql/job_queue.sql, claim_next_step).';
