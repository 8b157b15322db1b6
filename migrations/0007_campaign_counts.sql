-- How many campaigns each user has in each status, kept by triggers on
-- campaigns in the writing transaction. The campaigns page reports an exact
-- total; counting a user's campaigns on every page read made the page slower
-- as the user's campaigns grew (bench/RESULTS.md, "Growth": 2,644 req/s at
-- 10 campaigns, 575 at 10,000). Reading one row per status keeps it flat.
-- The triggers are statement-level with transition tables, so a bulk insert
-- updates each (user, status) row once; rows are upserted in key order, so
-- two transactions never wait for each other's rows in opposite orders.
-- depends: 0006_api_json_as_text

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE campaign_counts (
    user_id text NOT NULL,
    status text NOT NULL,
    -- No CHECK (campaigns >= 0): an upsert checks the row it proposes before it
    -- finds the conflict, and a decrement is proposed as a negative row.
    campaigns integer NOT NULL,
    PRIMARY KEY (user_id, status)
);

COMMENT ON TABLE campaign_counts IS
'Number of campaigns per user and status, maintained by the campaigns_count_* triggers; never written directly.';

CREATE FUNCTION count_campaigns() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- +1 per new row, -1 per old row. Each operation has only its own
    -- transition tables, and a query naming a missing one fails, hence three.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts AS cc (user_id, status, campaigns)
        SELECT user_id, status, count(*) FROM new_rows
        GROUP BY user_id, status ORDER BY user_id, status
        ON CONFLICT (user_id, status) DO UPDATE SET campaigns = cc.campaigns + excluded.campaigns;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO campaign_counts AS cc (user_id, status, campaigns)
        SELECT user_id, status, -count(*) FROM old_rows
        GROUP BY user_id, status ORDER BY user_id, status
        ON CONFLICT (user_id, status) DO UPDATE SET campaigns = cc.campaigns + excluded.campaigns;
    ELSE
        INSERT INTO campaign_counts AS cc (user_id, status, campaigns)
        SELECT user_id, status, sum(delta) FROM (
            SELECT user_id, status, 1 AS delta FROM new_rows
            UNION ALL
            SELECT user_id, status, -1 AS delta FROM old_rows
        ) AS moved
        GROUP BY user_id, status HAVING sum(delta) <> 0 ORDER BY user_id, status
        ON CONFLICT (user_id, status) DO UPDATE SET campaigns = cc.campaigns + excluded.campaigns;
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION count_campaigns() IS 'Keeps campaign_counts in step with the rows of campaigns.';

-- Creating the triggers locks campaigns against writes until this migration
-- commits, so the count below misses no row and counts none twice.
CREATE TRIGGER campaigns_count_insert AFTER INSERT ON campaigns
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_campaigns();

CREATE TRIGGER campaigns_count_update AFTER UPDATE ON campaigns
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_campaigns();

CREATE TRIGGER campaigns_count_delete AFTER DELETE ON campaigns
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION count_campaigns();

INSERT INTO campaign_counts (user_id, status, campaigns)
SELECT
    user_id,
    status,
    count(*)
FROM campaigns
GROUP BY user_id, status;
