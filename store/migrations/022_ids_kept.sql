-- No ID that leaves the server is given twice, as 021 made sure for
-- webhook endpoints. A link's or a request's ID goes out in the API and in
-- webhook bodies, where a receiver may key its records by it. A delivery's
-- goes out in the API, and its webhook-id is made from it: a delivery
-- given a swept one's ID would carry a webhook-id its endpoint has seen,
-- and may be dropped as a repeat. An account's, a passkey's and an API
-- key's are in the addresses of the forms that change or delete them, and
-- a repeated or stale form must not reach a newer one. SQLite gave a
-- table's highest ID again once its row was deleted: deleting an account
-- (with its links, requests, passkeys and keys), deleting the newest
-- passkey, or the sweep deleting the newest deliveries freed it.
--
-- Each table is rebuilt with AUTOINCREMENT as 021 rebuilt webhooks, with
-- foreign keys off (see applyMigration): a new table with the columns, in
-- their order, and the constraints of the old one, its rows copied with
-- their IDs, the old table dropped, the new one renamed, and the old one's
-- indexes made again. The tables that refer to a rebuilt one refer to it
-- by name, and so to the new table, and PRAGMA foreign_key_check proves
-- before the commit that every reference still finds its row. Copying the
-- rows sets each table's sqlite_sequence to its highest ID, and the rename
-- carries it over: the ID of a row deleted before this migration, above
-- every one left, may be given once more, since nothing records it.
--
-- Events and delivery attempts keep their tables: their IDs never leave
-- the server. PostgreSQL's identity columns never give an ID twice, and
-- this does nothing there.
{{if .SQLite}}
CREATE TABLE accounts_kept (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at    BIGINT NOT NULL,
	disabled_at   BIGINT,
	username_key  TEXT,
	notices       BOOLEAN NOT NULL DEFAULT FALSE,
	language      TEXT NOT NULL DEFAULT ''
);
INSERT INTO accounts_kept (id, username, password_hash, is_admin, created_at, disabled_at, username_key, notices, language)
	SELECT id, username, password_hash, is_admin, created_at, disabled_at, username_key, notices, language FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_kept RENAME TO accounts;
CREATE UNIQUE INDEX accounts_by_username_key ON accounts (username_key);

CREATE TABLE links_kept (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	owner_id           BIGINT NOT NULL REFERENCES accounts (id),
	token_hash         BLOB NOT NULL UNIQUE,
	kind               TEXT NOT NULL,
	label              TEXT NOT NULL DEFAULT '',
	for_user_id        BIGINT REFERENCES accounts (id),
	password_hash      TEXT NOT NULL DEFAULT '',
	max_uses           INTEGER NOT NULL,
	uses               INTEGER NOT NULL DEFAULT 0,
	views              INTEGER NOT NULL DEFAULT 0,
	size               BIGINT NOT NULL DEFAULT 0,
	meta               BLOB,
	created_at         BIGINT NOT NULL,
	expires_at         BIGINT NOT NULL,
	revoked_at         BIGINT,
	last_used_at       BIGINT,
	content_deleted_at BIGINT,
	label_fold         TEXT NOT NULL DEFAULT '',
	idempotency_key    TEXT,
	notify             BOOLEAN NOT NULL DEFAULT FALSE,
	expiry_noticed     BOOLEAN NOT NULL DEFAULT FALSE,
	e2e_check          BLOB,
	content_kept_until BIGINT
);
INSERT INTO links_kept (id, owner_id, token_hash, kind, label, for_user_id, password_hash, max_uses, uses, views, size, meta,
		created_at, expires_at, revoked_at, last_used_at, content_deleted_at, label_fold, idempotency_key, notify,
		expiry_noticed, e2e_check, content_kept_until)
	SELECT id, owner_id, token_hash, kind, label, for_user_id, password_hash, max_uses, uses, views, size, meta,
		created_at, expires_at, revoked_at, last_used_at, content_deleted_at, label_fold, idempotency_key, notify,
		expiry_noticed, e2e_check, content_kept_until FROM links;
DROP TABLE links;
ALTER TABLE links_kept RENAME TO links;
CREATE INDEX links_owner ON links (owner_id, id);
CREATE INDEX links_owner_expiry ON links (owner_id, expires_at);
CREATE UNIQUE INDEX links_owner_idempotency_key ON links (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX links_expiry_notice ON links (expires_at) WHERE NOT expiry_noticed;

CREATE TABLE requests_kept (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	owner_id     BIGINT NOT NULL REFERENCES accounts (id),
	token_hash   BLOB NOT NULL UNIQUE,
	label        TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	accepts      TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	revoked_at   BIGINT,
	fulfilled_at BIGINT,
	link_id      BIGINT REFERENCES links (id) ON DELETE SET NULL,
	link_token   BLOB
);
INSERT INTO requests_kept (id, owner_id, token_hash, label, note, accepts, created_at, expires_at, revoked_at, fulfilled_at, link_id, link_token)
	SELECT id, owner_id, token_hash, label, note, accepts, created_at, expires_at, revoked_at, fulfilled_at, link_id, link_token FROM requests;
DROP TABLE requests;
ALTER TABLE requests_kept RENAME TO requests;
CREATE INDEX requests_owner ON requests (owner_id, id);

CREATE TABLE passkeys_kept (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	credential_id BLOB NOT NULL UNIQUE,
	user_handle   BLOB NOT NULL,
	name          TEXT NOT NULL,
	credential    BLOB NOT NULL,
	created_at    BIGINT NOT NULL,
	last_used_at  BIGINT
);
INSERT INTO passkeys_kept (id, account_id, credential_id, user_handle, name, credential, created_at, last_used_at)
	SELECT id, account_id, credential_id, user_handle, name, credential, created_at, last_used_at FROM passkeys;
DROP TABLE passkeys;
ALTER TABLE passkeys_kept RENAME TO passkeys;
CREATE INDEX passkeys_account ON passkeys (account_id);
CREATE INDEX passkeys_user_handle ON passkeys (user_handle);

CREATE TABLE api_keys_kept (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	key_hash     BLOB NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
INSERT INTO api_keys_kept (id, account_id, name, prefix, key_hash, created_at, expires_at, last_used_at, revoked_at)
	SELECT id, account_id, name, prefix, key_hash, created_at, expires_at, last_used_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_kept RENAME TO api_keys;
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE notice_deliveries_kept (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	webhook_id    BIGINT REFERENCES webhooks (id) ON DELETE CASCADE,
	type          TEXT NOT NULL,
	link_id       BIGINT,
	request_id    BIGINT,
	at            BIGINT NOT NULL,
	ip            TEXT NOT NULL DEFAULT '',
	user_agent    TEXT NOT NULL DEFAULT '',
	body          TEXT,
	status        TEXT NOT NULL DEFAULT 'pending',
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_at       BIGINT NOT NULL,
	leased_until  BIGINT,
	last_code     INTEGER,
	last_error    TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	delivered_at  BIGINT,
	message_id    TEXT
);
INSERT INTO notice_deliveries_kept (id, account_id, webhook_id, type, link_id, request_id, at, ip, user_agent, body, status, attempts,
		next_at, leased_until, last_code, last_error, created_at, delivered_at, message_id)
	SELECT id, account_id, webhook_id, type, link_id, request_id, at, ip, user_agent, body, status, attempts,
		next_at, leased_until, last_code, last_error, created_at, delivered_at, message_id FROM notice_deliveries;
DROP TABLE notice_deliveries;
ALTER TABLE notice_deliveries_kept RENAME TO notice_deliveries;
CREATE INDEX notice_deliveries_due ON notice_deliveries (status, next_at);
CREATE INDEX notice_deliveries_webhook ON notice_deliveries (webhook_id, id);
CREATE INDEX notice_deliveries_leased ON notice_deliveries (leased_until) WHERE status = 'pending' AND leased_until IS NOT NULL
{{end}}
