-- The queue-latency benchmark's own statements (bench/queue_latency.py).

-- name: count_job_listeners()$
-- Worker processes ready for new jobs: connections listening on scraping_jobs.
SELECT count(*) FROM pg_stat_activity
WHERE query LIKE 'LISTEN %scraping_jobs%';

-- name: queue_job_outcomes(user_prefix)
-- Every job of the run's users (their ids start with :user_prefix): its user,
-- its end, its counters, its stored pages, and the seconds from its creation to
-- its first stored page and to its end. Index: scraping_jobs_user_created_idx.
SELECT
    j.user_id,
    j.status,
    j.cursor,
    j.processed_runs,
    j.processed_results,
    pages.stored_pages,
    pages.stored_creators,
    j.search_params ->> 'stopReason' AS stop_reason,
    extract(EPOCH FROM pages.first_stored_at - j.created_at)::double precision AS first_page_seconds,
    extract(EPOCH FROM j.created_at)::double precision AS created_epoch,
    extract(EPOCH FROM j.completed_at)::double precision AS completed_epoch
FROM scraping_jobs AS j
CROSS JOIN
    LATERAL (
        SELECT
            count(*) AS stored_pages,
            coalesce(sum(jsonb_array_length(r.creators)), 0)::integer AS stored_creators,
            min(r.created_at) AS first_stored_at
        FROM scraping_results AS r
        WHERE r.job_id = j.id
    ) AS pages
WHERE j.user_id LIKE :user_prefix || '%'
ORDER BY j.created_at;
