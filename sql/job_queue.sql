-- The job queue: scraping_jobs is the queue. A worker slot claims one step
-- (one provider call, one page) of an unfinished job at a time under a lease,
-- fairly: the user who has waited longest for a step first, then that user's
-- job that has waited longest. After a step the slot keeps the job's lease
-- until its next claim, which hands it over in the same statement (to itself
-- again, or releasing it for another slot). Every update after the claim names
-- the worker and, for a step, the cursor it started from, so a worker that lost
-- its lease, or a job that was cancelled or timed out meanwhile, changes
-- nothing. Each change of a job notifies channel job_progress (delivered at
-- commit) for the event streams.
-- Indexes: scraping_jobs_queue_user_idx (the claim, in claim_job_step()),
-- scraping_jobs_unfinished_idx (the timeout sweep and counts).

-- name: claim_next_step(worker_id, held_job_id, lease_seconds, provider, calls_per_second, max_calls_in_flight, max_jobs_per_user)^
-- Take the next step fairly for this worker slot and mark its job processing
-- under the slot's lease; hand over the job the slot held from its last step
-- (claimed again, or released). Always one row: wait_seconds, how long until
-- the provider may be called (its rate or a 429 pause), and the claimed job's
-- columns, all NULL when no step could be taken. The statements, and the order
-- and caps they apply, are in claim_job_step() (migration 0015): one round
-- trip, during which claims for the provider run one at a time across every
-- worker process. run_id names the worker slot (host, pid, process tag, slot).
-- nullable: held_job_id
-- not null: wait_seconds
-- one row
SELECT
    wait_seconds,
    id,
    platform,
    keywords,
    target_username,
    region,
    target_results,
    cursor,
    provider_cursor,
    processed_runs,
    processed_results,
    attempts,
    search_params
FROM claim_job_step(
    :worker_id,
    :held_job_id::uuid,
    :lease_seconds::double precision,
    :provider,
    :calls_per_second::double precision,
    :max_calls_in_flight::integer,
    :max_jobs_per_user::integer
);

-- name: pause_provider(provider, seconds)!
-- The provider answered 429: start no call to it for :seconds (its Retry-After),
-- from any worker. A longer pause already set stays.
UPDATE provider_call_limits
SET paused_until = greatest(paused_until, clock_timestamp() + make_interval(secs => :seconds::double precision))
WHERE provider = :provider;

-- name: record_job_page(job_id, worker_id, page, creators, calls, next_provider_cursor, stop_reason, lease_seconds)^
-- One step's outcome in one statement: store the page (when it has creators),
-- advance the job past it (its calls count toward processed_runs), renew the
-- lease, and complete the job when :stop_reason is given (target_reached,
-- no_more_results, budget_exhausted). Progress is the share of the target found:
-- 100 when it is reached, what was really found when the job stops early.
-- processed_runs counts provider calls: the step's search and its profile calls.
-- Returns the job's new counters, or no row when the job is no longer this
-- worker's at this page (lease lost, cancelled, timed out): then nothing is written.
-- nullable: next_provider_cursor, stop_reason
-- not null: status, cursor, processed_runs, processed_results, notified
WITH advanced AS (
    UPDATE scraping_jobs AS j
    SET
        cursor = j.cursor + 1,
        provider_cursor = :next_provider_cursor,
        processed_runs = j.processed_runs + :calls::integer,
        processed_results = j.processed_results + jsonb_array_length(:creators::jsonb),
        progress = CASE
            WHEN :stop_reason::text = 'target_reached' THEN 100
            ELSE greatest(
                j.progress,
                least(
                    -- 100 only for a reached target: an early stop shows what it found
                    CASE WHEN :stop_reason::text IS NULL THEN 99.99 ELSE 100 END,
                    round((j.processed_results + jsonb_array_length(:creators::jsonb)) * 100.0 / j.target_results, 2)
                )
            )
        END,
        status = CASE WHEN :stop_reason::text IS NOT NULL THEN 'completed' ELSE 'processing' END,
        completed_at = CASE WHEN :stop_reason::text IS NOT NULL THEN now() END,
        search_params = CASE
            WHEN :stop_reason::text IS NULL THEN j.search_params
            ELSE coalesce(j.search_params, '{}'::jsonb) || jsonb_build_object('stopReason', :stop_reason::text)
        END,
        attempts = 0,
        next_attempt_at = NULL,
        locked_by = CASE WHEN :stop_reason::text IS NULL THEN j.locked_by END,
        locked_until = CASE
            WHEN :stop_reason::text IS NULL THEN now() + make_interval(secs => :lease_seconds::double precision)
        END,
        updated_at = now()
    WHERE
        j.id = :job_id
        AND j.locked_by = :worker_id
        AND j.cursor = :page
        AND j.status = 'processing'
        AND (j.timeout_at IS NULL OR j.timeout_at > now())
    RETURNING j.id, j.status, j.cursor, j.provider_cursor, j.processed_runs, j.processed_results
),

stored AS (
    INSERT INTO scraping_results (job_id, page, creators)
    SELECT
        id,
        :page,
        :creators::jsonb
    FROM advanced
    WHERE jsonb_array_length(:creators::jsonb) > 0
)

SELECT
    status,
    cursor,
    provider_cursor,
    processed_runs,
    processed_results,
    (SELECT count(*) FROM (SELECT pg_notify('job_progress', id::text)) AS n) AS notified
FROM advanced;

-- name: complete_job_early(job_id, worker_id, stop_reason)$
-- Complete a job without another step (its call budget is spent), its progress
-- the share of the target it found. Returns whether it was still this worker's.
WITH completed AS (
    UPDATE scraping_jobs AS j
    SET
        status = 'completed',
        progress = greatest(j.progress, least(100, round(j.processed_results * 100.0 / j.target_results, 2))),
        completed_at = now(),
        search_params = coalesce(j.search_params, '{}'::jsonb) || jsonb_build_object('stopReason', :stop_reason::text),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    WHERE j.id = :job_id AND j.locked_by = :worker_id AND j.status = 'processing'
    RETURNING j.id
)

SELECT count(*) > 0 FROM (SELECT pg_notify('job_progress', id::text) FROM completed) AS n;

-- name: retry_job_later(job_id, worker_id, delay_seconds, failed_attempt)$
-- A provider call did not give the page: release the job until its retry time.
-- The call counts toward processed_runs (the call budget); it counts as a
-- failed attempt unless the provider only asked us to wait (429). Returns
-- whether it was still this worker's.
WITH released AS (
    UPDATE scraping_jobs AS j
    SET
        processed_runs = j.processed_runs + 1,
        attempts = j.attempts + CASE WHEN :failed_attempt::boolean THEN 1 ELSE 0 END,
        next_attempt_at = now() + make_interval(secs => :delay_seconds::double precision),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    WHERE j.id = :job_id AND j.locked_by = :worker_id AND j.status = 'processing'
    RETURNING j.id
)

SELECT count(*) > 0 FROM (SELECT pg_notify('job_progress', id::text) FROM released) AS n;

-- name: fail_job(job_id, worker_id, error)$
-- The provider failed for good: end the job with a message for the user. The
-- failed call counts toward processed_runs. Returns whether it was still this worker's.
WITH failed AS (
    UPDATE scraping_jobs AS j
    SET
        processed_runs = j.processed_runs + 1,
        attempts = j.attempts + 1,
        status = 'error',
        error = :error,
        completed_at = now(),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    WHERE j.id = :job_id AND j.locked_by = :worker_id AND j.status = 'processing'
    RETURNING j.id
)

SELECT count(*) > 0 FROM (SELECT pg_notify('job_progress', id::text) FROM failed) AS n;

-- name: release_job(job_id, worker_id)!
-- Give a job back (the worker is stopping): another worker may claim it at once.
UPDATE scraping_jobs
SET locked_by = NULL, locked_until = NULL, updated_at = now()
WHERE id = :job_id AND locked_by = :worker_id;

-- name: sweep_timed_out_jobs()$
-- End every unfinished job whose timeout_at has passed, held by a worker or
-- not. Returns how many.
-- not null
WITH timed_out AS (
    UPDATE scraping_jobs AS j
    SET
        status = 'timeout',
        error = 'The job did not finish before its time limit',
        completed_at = now(),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    WHERE j.status IN ('pending', 'processing') AND j.timeout_at <= now()
    RETURNING j.id
)

SELECT count(*) FROM (SELECT pg_notify('job_progress', id::text) FROM timed_out) AS n;

-- name: count_unfinished_jobs()$
-- Jobs still pending or processing (operations and benchmarks). Index: scraping_jobs_unfinished_idx.
-- not null
SELECT count(*) FROM scraping_jobs
WHERE status IN ('pending', 'processing');

-- name: renew_job_lease(job_id, worker_id, lease_seconds)$
-- Extend this worker's lease while a provider call is still running. Returns
-- false when the job is no longer this worker's or no longer running.
WITH renewed AS (
    UPDATE scraping_jobs
    SET locked_until = now() + make_interval(secs => :lease_seconds::double precision)
    WHERE id = :job_id AND locked_by = :worker_id AND status = 'processing'
    RETURNING id
)

SELECT count(*) > 0 FROM renewed;
