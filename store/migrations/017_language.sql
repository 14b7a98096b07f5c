-- The language an account reads oncelink in: a code such as "de", or ""
-- to follow the browser's Accept-Language.
ALTER TABLE accounts ADD COLUMN language TEXT NOT NULL DEFAULT ''
