-- Nothing to undo: a validated constraint is the same constraint.
DO $$ BEGIN END $$;
