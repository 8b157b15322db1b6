-- The creators of each job, once each, as last seen, with what the creators
-- page filters and sorts on: kept by triggers on scraping_results as pages are
-- stored. job_creators() (migration 0004) derived the same rows from every
-- page of the job on each request, so a page of 50 cost as much as the whole
-- job (bench/RESULTS.md, "Growth": 666 req/s at 1,000 creators, 4 at 100,000).
-- Here a page is a range of an index. Rows hold what is filtered and sorted
-- on, and where the entry is (page, position): the entries stay in the pages,
-- where they compress well. (Copying them here too made this table 9 times the
-- size of scraping_results on the bench dataset, for 0.15 ms less per page.)
-- The rules are those of job_creators():
-- a creator is platform + handle, ignoring case (the name when there is no
-- handle); the latest page wins, and within a page the last position; numbers
-- count only when they are JSON numbers. job_creators() stays for processes
-- of the previous release during a rolling deploy; a later migration drops it.
-- depends: 0007_campaign_counts 0010_adopt_old_schema

-- Fail fast instead of queueing behind long transactions on a busy database.
SET LOCAL lock_timeout = '10s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE found_creators (
    -- No foreign key: rows go with their job's pages (the delete trigger below),
    -- and a key check per stored creator was a third of what storing a page cost.
    job_id uuid NOT NULL,
    creator_key text NOT NULL,
    page integer NOT NULL,
    position integer NOT NULL,
    followers numeric NOT NULL,
    engagement_rate numeric NOT NULL,
    has_email boolean NOT NULL,
    hashtags text[] NOT NULL,
    -- Also the conflict target of the triggers' upsert.
    PRIMARY KEY (job_id, creator_key)
);

COMMENT ON TABLE found_creators IS
'One row per creator of a job, as last seen; maintained by the scraping_results_found_* triggers, never written '
'directly.';
COMMENT ON COLUMN found_creators.page IS 'The result page the creator was last seen on.';
COMMENT ON COLUMN found_creators.position IS
'Position (from 1) in that page''s creators array, where the entry itself is read from.';
COMMENT ON COLUMN found_creators.engagement_rate IS
'(likes + comments + shares) / views of the video, 4 decimals; 0 without views.';
COMMENT ON COLUMN found_creators.hashtags IS 'The entry''s hashtags, lower-cased, for the hashtag filter.';

-- The creators page and the export, highest first, by each sort they offer;
-- a keyset page starts where the previous one ended.
CREATE INDEX found_creators_followers_idx ON found_creators (job_id, followers DESC, creator_key);
CREATE INDEX found_creators_engagement_idx ON found_creators (job_id, engagement_rate DESC, creator_key);

CREATE FUNCTION creator_matches(
    f found_creators, p_min_followers numeric, p_max_followers numeric, p_has_email boolean, p_hashtag text
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT (p_min_followers IS NULL OR f.followers >= p_min_followers)
        AND (p_max_followers IS NULL OR f.followers <= p_max_followers)
        AND (p_has_email IS NULL OR f.has_email = p_has_email)
        AND (p_hashtag IS NULL OR lower(p_hashtag) = ANY (f.hashtags))
$$;

COMMENT ON FUNCTION creator_matches(found_creators, numeric, numeric, boolean, text) IS
'The creators page''s filters (NULL: no filter): followers range, having an email, a hashtag (ignoring case).';

CREATE FUNCTION latest_sightings(pages scraping_results[]) RETURNS SETOF found_creators
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    -- One statement calling only functions the planner inlines, so that it is
    -- inlined into the trigger's upsert (a function per entry cost 16 us more).
    SELECT DISTINCT ON (r.job_id, seen.creator_key)
        r.job_id,
        seen.creator_key,
        r.page,
        c.position::integer,
        seen.followers,
        CASE
            WHEN seen.views > 0 THEN round((seen.likes + seen.comments + seen.shares) / seen.views, 4)
            ELSE 0
        END,
        coalesce(
            jsonb_typeof(c.entry #> '{creator,emails}') = 'array'
            AND jsonb_array_length(c.entry #> '{creator,emails}') > 0,
            FALSE
        ),
        CASE
            WHEN jsonb_typeof(c.entry -> 'hashtags') = 'array' THEN
                array(SELECT lower(tag) FROM jsonb_array_elements_text(c.entry -> 'hashtags') AS tag)
            ELSE '{}'
        END
    FROM unnest(pages) AS r
    CROSS JOIN LATERAL jsonb_array_elements(r.creators) WITH ORDINALITY AS c (entry, position)
    CROSS JOIN LATERAL (
        SELECT
            coalesce(c.entry ->> 'platform', '') || ':' || lower(coalesce(
                nullif(c.entry #>> '{creator,handle}', ''), c.entry #>> '{creator,name}', ''
            )) AS creator_key,
            json_number(c.entry #> '{creator,followers}') AS followers,
            json_number(c.entry #> '{video,statistics,likes}') AS likes,
            json_number(c.entry #> '{video,statistics,comments}') AS comments,
            json_number(c.entry #> '{video,statistics,shares}') AS shares,
            json_number(c.entry #> '{video,statistics,views}') AS views
    ) AS seen
    -- Key order is also the order the upsert locks rows in: no two writers wait crosswise.
    ORDER BY r.job_id, seen.creator_key, r.page DESC, c.position DESC
$$;

COMMENT ON FUNCTION latest_sightings(scraping_results[]) IS
'One found_creators row per creator of the given result pages, as last seen in them.';

CREATE FUNCTION collect_found_creators() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Row-level: the step stores one page per statement, and pages of one
    -- statement are merged like pages of several, the latest sighting winning.
    INSERT INTO found_creators AS f
    SELECT * FROM latest_sightings(ARRAY[NEW])
    ON CONFLICT (job_id, creator_key) DO UPDATE SET
        page = excluded.page,
        position = excluded.position,
        followers = excluded.followers,
        engagement_rate = excluded.engagement_rate,
        has_email = excluded.has_email,
        hashtags = excluded.hashtags
    WHERE (f.page, f.position) < (excluded.page, excluded.position);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION collect_found_creators() IS 'Merges a newly stored result page into found_creators.';

CREATE FUNCTION rebuild_found_creators() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    changed uuid[];
BEGIN
    -- A job's pages go when the job is deleted (its creators go here with them,
    -- as the pages have none left); a page changed or removed by hand must not
    -- leave stale creators behind either: derive the affected jobs' creators
    -- again from the pages they have left.
    IF TG_OP = 'UPDATE' THEN
        changed := array(SELECT job_id FROM old_pages UNION SELECT job_id FROM new_pages ORDER BY 1);
    ELSE
        changed := array(SELECT DISTINCT job_id FROM old_pages ORDER BY 1);
    END IF;
    DELETE FROM found_creators WHERE job_id = ANY (changed);
    INSERT INTO found_creators
    SELECT seen.*
    FROM unnest(changed) AS job (id)
    CROSS JOIN LATERAL latest_sightings(array(SELECT r FROM scraping_results AS r WHERE r.job_id = job.id)) AS seen;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION rebuild_found_creators() IS
'Derives found_creators again for the jobs whose result pages were updated or deleted.';

-- Creating the triggers locks scraping_results against writes until this
-- migration commits, so the backfill below sees every page stored before it.
CREATE TRIGGER scraping_results_found_insert AFTER INSERT ON scraping_results
FOR EACH ROW EXECUTE FUNCTION collect_found_creators();

CREATE TRIGGER scraping_results_found_update AFTER UPDATE ON scraping_results
REFERENCING OLD TABLE AS old_pages NEW TABLE AS new_pages
FOR EACH STATEMENT EXECUTE FUNCTION rebuild_found_creators();

CREATE TRIGGER scraping_results_found_delete AFTER DELETE ON scraping_results
REFERENCING OLD TABLE AS old_pages
FOR EACH STATEMENT EXECUTE FUNCTION rebuild_found_creators();

-- Not on a database adopted from the old system (0010): its entries come in
-- shapes this latest_sightings() cannot key, and 0012 fills the table with the
-- one that can. (Edited after release, with the dependency on 0010 that
-- creates legacy_adoption; where 0008 was applied, nothing changes.)
INSERT INTO found_creators
SELECT seen.*
FROM scraping_jobs AS j
CROSS JOIN
    LATERAL latest_sightings(array(
        SELECT r FROM scraping_results AS r
        WHERE r.job_id = j.id
    )) AS seen
WHERE NOT EXISTS (SELECT FROM legacy_adoption);
