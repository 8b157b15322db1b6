-- Nothing to undo: the corrected legacy tables are what 0001 creates now, and
-- its rollback drops them (the guessed ones were never written to).
DO $$ BEGIN END $$;
