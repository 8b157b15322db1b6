-- Drops the fair queue's provider rows and the jobs' step claim times.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '1min';

DROP FUNCTION claim_job_step(text, uuid, double precision, text, double precision, integer, integer);
DROP TABLE provider_call_limits;
ALTER TABLE scraping_jobs DROP COLUMN step_claimed_at;
