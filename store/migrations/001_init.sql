-- The schema, written once for SQLite and PostgreSQL. Types that differ
-- between them are named {{.ID}}, {{.Bytes}} and {{.SessionExpiry}}. Times are
-- Unix milliseconds in BIGINT columns, which compare the same on both.

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value {{.Bytes}} NOT NULL
);

CREATE TABLE accounts (
	id            {{.ID}},
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at    BIGINT NOT NULL,
	disabled_at   BIGINT
);

CREATE TABLE links (
	id                 {{.ID}},
	owner_id           BIGINT NOT NULL REFERENCES accounts (id),
	token_hash         {{.Bytes}} NOT NULL UNIQUE,
	kind               TEXT NOT NULL,
	label              TEXT NOT NULL DEFAULT '',
	for_user_id        BIGINT REFERENCES accounts (id),
	password_hash      TEXT NOT NULL DEFAULT '',
	max_uses           INTEGER NOT NULL,
	uses               INTEGER NOT NULL DEFAULT 0,
	views              INTEGER NOT NULL DEFAULT 0,
	size               BIGINT NOT NULL DEFAULT 0,
	meta               {{.Bytes}},
	created_at         BIGINT NOT NULL,
	expires_at         BIGINT NOT NULL,
	revoked_at         BIGINT,
	last_used_at       BIGINT,
	content_deleted_at BIGINT
);
CREATE INDEX links_owner ON links (owner_id, id);
CREATE INDEX links_expires ON links (expires_at);

-- link_content holds a link's sealed content in chunks, deleted when the
-- link dies, and the link's metadata stays for the retention period.
CREATE TABLE link_content (
	link_id BIGINT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	data    {{.Bytes}} NOT NULL,
	PRIMARY KEY (link_id, seq)
);

CREATE TABLE events (
	id         {{.ID}},
	link_id    BIGINT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	at         BIGINT NOT NULL,
	ip         TEXT NOT NULL,
	user_agent TEXT NOT NULL
);
CREATE INDEX events_link ON events (link_id, id);

-- sessions is the table of github.com/alexedwards/scs, in the shape its
-- sqlite3store and pgxstore expect.
CREATE TABLE sessions (
	token  TEXT PRIMARY KEY,
	data   {{.Bytes}} NOT NULL,
	expiry {{.SessionExpiry}} NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);
