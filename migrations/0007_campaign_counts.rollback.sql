-- Drops the per-user campaign counts; the campaigns page then counts rows again.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP TRIGGER campaigns_count_delete ON campaigns;
DROP TRIGGER campaigns_count_update ON campaigns;
DROP TRIGGER campaigns_count_insert ON campaigns;
DROP FUNCTION count_campaigns();
DROP TABLE campaign_counts;
