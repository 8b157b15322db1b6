-- A campaign's creators: every creator found by any of its searches, once,
-- as last seen, with the brand's status and note for it, and the history of
-- every status or note change.
--
-- campaign_creators is kept by triggers on found_creators (itself kept from
-- the stored pages, migration 0008), so it follows every page stored, and
-- every search deleted (with its campaign, by hand, or by the admin cleanup).
-- A creator is the same key as in found_creators (platform + handle, ignoring
-- case). "Last seen" across searches is the sighting on the most recently
-- stored page. Like found_creators, a row holds what the list filters and
-- sorts on and where its entry is (job, page, position); the entry stays in
-- its page. The text search reads the creator's name, bio and video
-- description with the 'simple' configuration: scraped text comes in every
-- language, and names must not be stemmed, so words match as written, ignoring
-- case.
-- depends: 0020_old_frontend_shapes

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE campaign_creators (
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    creator_key text NOT NULL,
    platform text NOT NULL,
    -- Where the creator was last seen: the entry is read from there.
    job_id uuid NOT NULL,
    page integer NOT NULL,
    position integer NOT NULL,
    found_at timestamptz NOT NULL,
    -- Every search of the campaign that found the creator.
    job_ids uuid[] NOT NULL,
    followers numeric NOT NULL,
    engagement_rate numeric NOT NULL,
    has_email boolean NOT NULL,
    hashtags text[] NOT NULL,
    search_text tsvector NOT NULL,
    status text CHECK (status IN ('shortlisted', 'contacted', 'replied', 'declined', 'hired')),
    note text CHECK (char_length(note) <= 2000),
    status_changed_at timestamptz,
    PRIMARY KEY (campaign_id, creator_key)
);

COMMENT ON TABLE campaign_creators IS
'One row per creator found by any search of a campaign, as last seen, with the brand''s status and note; the '
'found columns are maintained by the found_creators_campaign_* triggers, status and note by the API.';
COMMENT ON COLUMN campaign_creators.found_at IS 'When the page the creator was last seen on was stored.';
COMMENT ON COLUMN campaign_creators.job_ids IS 'The campaign''s searches (scraping jobs) that found the creator.';
COMMENT ON COLUMN campaign_creators.search_text IS
'Name, bio and video description (''simple'' configuration: no stemming, any language), for the text search.';

-- The list, highest first by each of its sorts; a keyset page starts where the previous one ended.
CREATE INDEX campaign_creators_followers_idx ON campaign_creators (campaign_id, followers DESC, creator_key);
CREATE INDEX campaign_creators_engagement_idx ON campaign_creators (campaign_id, engagement_rate DESC, creator_key);
CREATE INDEX campaign_creators_found_idx ON campaign_creators (campaign_id, found_at DESC, creator_key);
-- The text search within one campaign (btree_gin puts campaign_id in the GIN index).
CREATE INDEX campaign_creators_search_idx ON campaign_creators USING gin (campaign_id, search_text);
-- The campaign statistics' count of creators by status.
CREATE INDEX campaign_creators_status_idx ON campaign_creators (campaign_id, status) WHERE status IS NOT NULL;
-- Which rows a deleted search's creators touch.
CREATE INDEX campaign_creators_jobs_idx ON campaign_creators USING gin (job_ids);

CREATE TABLE campaign_creator_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    creator_key text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status text,
    from_note text,
    to_note text
);

COMMENT ON TABLE campaign_creator_changes IS
'Every change of a campaign creator''s status or note: when, from what, to what. Goes with its campaign.';

-- A creator's history, oldest first.
CREATE INDEX campaign_creator_changes_creator_idx ON campaign_creator_changes (campaign_id, creator_key, id);

CREATE FUNCTION campaign_sightings(rows found_creators[]) RETURNS TABLE (
    campaign_id uuid,
    creator_key text,
    platform text,
    job_id uuid,
    page integer,
    -- "position" is a keyword where a function parameter is named: it needs its quotes.
    "position" integer,  -- noqa: RF06
    found_at timestamptz,
    followers numeric,
    engagement_rate numeric,
    has_email boolean,
    hashtags text[],
    search_text tsvector
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    -- Each found_creators row with its campaign, when its page was stored, and
    -- its text; per (campaign, creator), the most recently stored sighting.
    SELECT DISTINCT ON (j.campaign_id, f.creator_key)
        j.campaign_id,
        f.creator_key,
        coalesce(r.creators -> (f.position - 1) ->> 'platform', split_part(f.creator_key, ':', 1)),
        f.job_id,
        f.page,
        f.position,
        r.created_at,
        f.followers,
        f.engagement_rate,
        f.has_email,
        f.hashtags,
        to_tsvector('simple', concat_ws(
            ' ',
            r.creators -> (f.position - 1) #>> '{creator,name}',
            r.creators -> (f.position - 1) #>> '{creator,bio}',
            r.creators -> (f.position - 1) #>> '{video,description}'
        ))
    FROM unnest(rows) AS f
    INNER JOIN scraping_jobs AS j ON f.job_id = j.id
    INNER JOIN scraping_results AS r ON f.job_id = r.job_id AND f.page = r.page
    -- Key order is also the order the upsert locks rows in: no two writers wait crosswise.
    ORDER BY j.campaign_id, f.creator_key, r.created_at DESC, f.job_id DESC
$$;

COMMENT ON FUNCTION campaign_sightings(found_creators[]) IS
'The campaign_creators columns of the given found_creators rows, the most recently stored sighting per creator.';

CREATE FUNCTION lock_campaign_creators(campaigns uuid[]) RETURNS void
LANGUAGE sql
AS $$
    -- One statement stores a page: found_creators' INSERT and UPDATE triggers
    -- then each merge their rows here in key order, one pass after the other.
    -- Two pages of one campaign stored at once could lock A then B, and B then
    -- A, across the two passes; so each writer first takes the campaign's lock
    -- (in id order, to the end of its transaction): writers of one campaign's
    -- list take turns, writers of different campaigns never wait on each other.
    SELECT count(pg_advisory_xact_lock(hashtext('campaign_creators'), hashtext(c::text)))
    FROM (SELECT DISTINCT unnest(campaigns) AS c ORDER BY 1) AS ordered
$$;

COMMENT ON FUNCTION lock_campaign_creators(uuid[]) IS
'Takes the transaction-scoped lock under which campaign_creators rows of these campaigns are maintained.';

CREATE FUNCTION merge_campaign_creators() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM lock_campaign_creators(array(
        SELECT j.campaign_id FROM new_rows AS n
        INNER JOIN scraping_jobs AS j ON n.job_id = j.id
    ));
    -- New or moved sightings: the latest one wins; every search that found the
    -- creator is listed. A creator that comes back to the list (its pages were
    -- rebuilt, or a new search found it again) gets back its last status and note.
    INSERT INTO campaign_creators AS c (
        campaign_id, creator_key, platform, job_id, page, position, found_at, job_ids,
        followers, engagement_rate, has_email, hashtags, search_text, status, note, status_changed_at
    )
    SELECT
        s.campaign_id, s.creator_key, s.platform, s.job_id, s.page, s.position, s.found_at,
        array(
            SELECT DISTINCT n.job_id FROM new_rows AS n
            INNER JOIN scraping_jobs AS j ON n.job_id = j.id
            WHERE n.creator_key = s.creator_key AND j.campaign_id = s.campaign_id
            ORDER BY 1
        ),
        s.followers, s.engagement_rate, s.has_email, s.hashtags, s.search_text,
        last_change.to_status, last_change.to_note, last_change.changed_at
    FROM campaign_sightings(array(SELECT n::found_creators FROM new_rows AS n)) AS s
    LEFT JOIN LATERAL (
        SELECT h.to_status, h.to_note, h.changed_at FROM campaign_creator_changes AS h
        WHERE h.campaign_id = s.campaign_id AND h.creator_key = s.creator_key
        ORDER BY h.id DESC LIMIT 1
    ) AS last_change ON TRUE
    ON CONFLICT (campaign_id, creator_key) DO UPDATE SET
        job_ids = array(SELECT DISTINCT u FROM unnest(c.job_ids || excluded.job_ids) AS u ORDER BY 1),
        platform = CASE WHEN excluded.found_at >= c.found_at THEN excluded.platform ELSE c.platform END,
        job_id = CASE WHEN excluded.found_at >= c.found_at THEN excluded.job_id ELSE c.job_id END,
        page = CASE WHEN excluded.found_at >= c.found_at THEN excluded.page ELSE c.page END,
        position = CASE WHEN excluded.found_at >= c.found_at THEN excluded.position ELSE c.position END,
        followers = CASE WHEN excluded.found_at >= c.found_at THEN excluded.followers ELSE c.followers END,
        engagement_rate = CASE
            WHEN excluded.found_at >= c.found_at THEN excluded.engagement_rate ELSE c.engagement_rate
        END,
        has_email = CASE WHEN excluded.found_at >= c.found_at THEN excluded.has_email ELSE c.has_email END,
        hashtags = CASE WHEN excluded.found_at >= c.found_at THEN excluded.hashtags ELSE c.hashtags END,
        search_text = CASE WHEN excluded.found_at >= c.found_at THEN excluded.search_text ELSE c.search_text END,
        found_at = greatest(c.found_at, excluded.found_at);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION merge_campaign_creators() IS
'Merges found_creators rows inserted or updated by one statement into campaign_creators.';

CREATE FUNCTION forget_campaign_creators() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    gone uuid[] := array(SELECT DISTINCT o.job_id FROM old_rows AS o ORDER BY 1);
BEGIN
    PERFORM lock_campaign_creators(array(SELECT c.campaign_id FROM campaign_creators AS c WHERE c.job_ids && gone));
    -- Sightings went (a search or its pages were deleted): each affected
    -- creator is derived again from the searches that still have it; one that
    -- no search has any more leaves the list (its history stays with the campaign).
    WITH affected AS (
        SELECT
            c.campaign_id,
            c.creator_key,
            array(SELECT u FROM unnest(c.job_ids) AS u WHERE u <> ALL (gone) ORDER BY 1) AS remaining
        FROM campaign_creators AS c
        WHERE c.job_ids && gone
        ORDER BY c.campaign_id, c.creator_key
        FOR UPDATE
    ),

    still_found AS (
        SELECT
            a.campaign_id,
            a.creator_key,
            array(
                SELECT f.job_id FROM found_creators AS f
                WHERE f.job_id = ANY (a.remaining) AND f.creator_key = a.creator_key
                ORDER BY 1
            ) AS job_ids
        FROM affected AS a
    ),

    dropped AS (
        DELETE FROM campaign_creators AS c
        USING still_found AS s
        WHERE c.campaign_id = s.campaign_id AND c.creator_key = s.creator_key AND cardinality(s.job_ids) = 0
    )

    UPDATE campaign_creators AS c
    SET
        job_ids = s.job_ids,
        platform = latest.platform,
        job_id = latest.job_id,
        page = latest.page,
        position = latest.position,
        found_at = latest.found_at,
        followers = latest.followers,
        engagement_rate = latest.engagement_rate,
        has_email = latest.has_email,
        hashtags = latest.hashtags,
        search_text = latest.search_text
    FROM still_found AS s
    CROSS JOIN LATERAL campaign_sightings(array(
        SELECT f FROM found_creators AS f
        WHERE f.job_id = ANY (s.job_ids) AND f.creator_key = s.creator_key
    )) AS latest
    WHERE c.campaign_id = s.campaign_id AND c.creator_key = s.creator_key AND cardinality(s.job_ids) > 0;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION forget_campaign_creators() IS
'Derives campaign_creators again for the creators whose found_creators rows one statement deleted.';

-- Creating the triggers locks found_creators against writes until this
-- migration commits, so the backfill below sees every creator found before it.
CREATE TRIGGER found_creators_campaign_insert AFTER INSERT ON found_creators
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION merge_campaign_creators();

CREATE TRIGGER found_creators_campaign_update AFTER UPDATE ON found_creators
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION merge_campaign_creators();

CREATE TRIGGER found_creators_campaign_delete AFTER DELETE ON found_creators
REFERENCING OLD TABLE AS old_rows
FOR EACH STATEMENT EXECUTE FUNCTION forget_campaign_creators();

INSERT INTO campaign_creators (
    campaign_id, creator_key, platform, job_id, page, position, found_at, job_ids,
    followers, engagement_rate, has_email, hashtags, search_text
)
SELECT
    s.campaign_id,
    s.creator_key,
    s.platform,
    s.job_id,
    s.page,
    s.position,
    s.found_at,
    array(
        SELECT f.job_id FROM found_creators AS f
        INNER JOIN scraping_jobs AS j ON f.job_id = j.id
        WHERE j.campaign_id = s.campaign_id AND f.creator_key = s.creator_key
        ORDER BY 1
    ),
    s.followers,
    s.engagement_rate,
    s.has_email,
    s.hashtags,
    s.search_text
FROM campaigns AS c
CROSS JOIN LATERAL campaign_sightings(array(
    SELECT f FROM found_creators AS f
    INNER JOIN scraping_jobs AS j ON f.job_id = j.id
    WHERE j.campaign_id = c.id
)) AS s;
