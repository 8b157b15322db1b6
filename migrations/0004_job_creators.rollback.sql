-- Drops the job creators functions.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION job_creators(uuid, numeric, numeric, boolean, text);
DROP FUNCTION json_number(jsonb);
