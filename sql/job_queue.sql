-- The job queue: scraping_jobs is the queue. A worker claims an unfinished job
-- under a lease and advances it one step (one provider call, one page) at a
-- time. Every update after the claim names the worker and, for a step, the
-- cursor it started from, so a worker that lost its lease, or a job that was
-- cancelled or timed out meanwhile, changes nothing. Each change of a job
-- notifies channel job_progress (delivered at commit) for the event streams.
-- Index: scraping_jobs_unfinished_idx (claims and the timeout sweep).

-- name: claim_next_job(worker_id, lease_seconds)^
-- Take the oldest unfinished job that no live lease holds (or that this very
-- worker slot still holds after a failed step) and whose retry time, if any,
-- has come, and mark it processing under this worker's lease; run_id names the
-- worker slot working on it (host:pid:process-tag/slot).
-- not null: id, platform, region, target_results, cursor, processed_runs, processed_results, attempts, notified
WITH claimed AS (
    UPDATE scraping_jobs AS j
    SET
        status = 'processing',
        started_at = coalesce(j.started_at, now()),
        run_id = :worker_id,
        locked_by = :worker_id,
        locked_until = now() + make_interval(secs => :lease_seconds::double precision),
        updated_at = now()
    WHERE
        j.id = (
            SELECT candidate.id
            FROM scraping_jobs AS candidate
            WHERE
                candidate.status IN ('pending', 'processing')
                AND (
                    candidate.locked_until IS NULL OR candidate.locked_until < now() OR candidate.locked_by = :worker_id
                )
                AND (candidate.next_attempt_at IS NULL OR candidate.next_attempt_at <= now())
                AND (candidate.timeout_at IS NULL OR candidate.timeout_at > now())
            ORDER BY candidate.created_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
    RETURNING j.*
)

SELECT
    id,
    platform,
    keywords,
    target_username,
    region,
    target_results,
    search_params,
    cursor,
    provider_cursor,
    processed_runs,
    processed_results,
    attempts,
    (SELECT count(*) FROM (SELECT pg_notify('job_progress', id::text)) AS n) AS notified
FROM claimed;

-- name: record_job_page(job_id, worker_id, page, creators, calls, next_provider_cursor, stop_reason, lease_seconds)^
-- One step's outcome in one statement: store the page (when it has creators),
-- advance the job past it, renew the lease, and complete the job when
-- :stop_reason is given (target_reached, no_more_results, budget_exhausted).
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
            WHEN :stop_reason::text IS NOT NULL THEN 100
            ELSE greatest(
                j.progress,
                least(
                    99.99,
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
-- Complete a job without another step (its call budget is spent). Returns
-- whether it was still this worker's.
WITH completed AS (
    UPDATE scraping_jobs AS j
    SET
        status = 'completed',
        progress = 100,
        completed_at = now(),
        search_params = coalesce(j.search_params, '{}'::jsonb) || jsonb_build_object('stopReason', :stop_reason::text),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    WHERE j.id = :job_id AND j.locked_by = :worker_id AND j.status = 'processing'
    RETURNING j.id
)

SELECT count(*) > 0 FROM (SELECT pg_notify('job_progress', id::text) FROM completed) AS n;

-- name: retry_job_later(job_id, worker_id, delay_seconds)$
-- The provider failed in a way worth retrying: release the job until its retry
-- time. Returns whether it was still this worker's.
WITH released AS (
    UPDATE scraping_jobs AS j
    SET
        attempts = j.attempts + 1,
        next_attempt_at = now() + make_interval(secs => :delay_seconds::double precision),
        locked_by = NULL,
        locked_until = NULL,
        updated_at = now()
    WHERE j.id = :job_id AND j.locked_by = :worker_id AND j.status = 'processing'
    RETURNING j.id
)

SELECT count(*) > 0 FROM released;

-- name: fail_job(job_id, worker_id, error)$
-- The provider failed for good: end the job with a message for the user.
-- Returns whether it was still this worker's.
WITH failed AS (
    UPDATE scraping_jobs AS j
    SET
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
