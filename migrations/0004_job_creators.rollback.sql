-- Drops the job creators functions.
DROP FUNCTION job_creators(uuid, numeric, numeric, boolean, text);
DROP FUNCTION json_number(jsonb);
