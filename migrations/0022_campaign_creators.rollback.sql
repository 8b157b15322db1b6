-- Drops each campaign's creators, their statuses and history.

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

DROP TRIGGER found_creators_campaign_delete ON found_creators;
DROP TRIGGER found_creators_campaign_update ON found_creators;
DROP TRIGGER found_creators_campaign_insert ON found_creators;
DROP FUNCTION forget_campaign_creators();
DROP FUNCTION merge_campaign_creators();
DROP FUNCTION campaign_sightings(found_creators[]);
DROP FUNCTION lock_campaign_creators(uuid[]);
DROP TABLE campaign_creator_changes;
DROP TABLE campaign_creators;
