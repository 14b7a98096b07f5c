-- api_keys are the JSON API's bearer keys. A key is kept only as its SHA-256,
-- beside its first characters (prefix), by which its owner tells keys apart.
-- A NULL expires_at never expires, a NULL last_used_at was never used, and a
-- NULL revoked_at is not revoked. A key goes with its account.
CREATE TABLE api_keys (
	id           {{.ID}},
	account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	key_hash     {{.Bytes}} NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);
