-- label_fold is a link's label in lower case as Go folds it, so that finding
-- links by label ignores case for every letter: SQLite's LOWER and LIKE fold
-- only ASCII.
ALTER TABLE links ADD COLUMN label_fold TEXT NOT NULL DEFAULT '';
UPDATE links SET label_fold = LOWER(label);
