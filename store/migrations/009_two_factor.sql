-- totp holds an account's authenticator-app secret (RFC 6238), sealed under
-- a key derived from the server's key. A NULL confirmed_at is an enrolment
-- not yet confirmed with a code, which signs nobody in. last_step is the
-- last 30-second step whose code was accepted: a code is taken once.
CREATE TABLE totp (
	account_id   BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	secret       {{.Bytes}} NOT NULL,
	created_at   BIGINT NOT NULL,
	confirmed_at BIGINT,
	last_step    BIGINT NOT NULL DEFAULT 0
);
-- recovery_codes are an account's one-time codes for when its second
-- factor is lost, kept only as their SHA-256. A NULL used_at is unused.
CREATE TABLE recovery_codes (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	code_hash  {{.Bytes}} NOT NULL,
	created_at BIGINT NOT NULL,
	used_at    BIGINT,
	PRIMARY KEY (account_id, code_hash)
);
