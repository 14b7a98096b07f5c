-- A deleted endpoint's ID is never given to another, so that a script that
-- repeats DELETE /api/v1/webhooks/{id} cannot delete a newer endpoint.
-- PostgreSQL's identity column never gives an ID twice, and this does
-- nothing there. SQLite's INTEGER PRIMARY KEY gives the highest ID again
-- once its row is deleted; AUTOINCREMENT, which keeps the highest ID ever
-- given in sqlite_sequence, does not. SQLite cannot add it to a column, so
-- the table is rebuilt the way SQLite's guide to ALTER TABLE lays out: a
-- new table, the rows copied with their IDs, the old table dropped, the
-- new one renamed, its index made again. The migration runs with foreign
-- keys off (see applyMigration): dropping the old table leaves the
-- deliveries that refer to it in place, notice_deliveries refers to
-- webhooks by name and so to the new table, and PRAGMA foreign_key_check
-- proves before the commit that every delivery still finds its endpoint.
--
-- The table is rebuilt rather than kept with an ID counter of its own
-- because nothing can give such a counter's IDs without the insert: a
-- trigger cannot set the ID SQLite is choosing, an ID set after the
-- insert is not the one RETURNING reports, and PostgreSQL's identity
-- column refuses an ID given by the insert. Copying the deliveries aside
-- and back, to rebuild with foreign keys on, would copy the whole outbox.
--
-- sqlite_sequence starts at the highest ID left: the ID of an endpoint
-- deleted before this migration, above every one left, may be given once
-- more, since nothing records it.
{{if .SQLite}}
CREATE TABLE webhooks_kept (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	url             TEXT NOT NULL,
	events          TEXT NOT NULL,
	secret          BLOB NOT NULL,
	created_at      BIGINT NOT NULL,
	disabled_at     BIGINT,
	previous_secret BLOB,
	previous_until  BIGINT
);
INSERT INTO webhooks_kept (id, account_id, url, events, secret, created_at, disabled_at, previous_secret, previous_until)
	SELECT id, account_id, url, events, secret, created_at, disabled_at, previous_secret, previous_until FROM webhooks;
DROP TABLE webhooks;
ALTER TABLE webhooks_kept RENAME TO webhooks;
CREATE INDEX webhooks_account ON webhooks (account_id, id)
{{end}}
