-- username_key is an account's name as it is looked up: case-mapped and
-- normalised by PRECIS (RFC 8265, UsernameCaseMapped), so that "Bob" and
-- "bob" are one name. It is filled for existing accounts when the store
-- opens (see fillUsernameKeys), which refuses to go on when two of them
-- clash, so it stays NULL here.
ALTER TABLE accounts ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX accounts_by_username_key ON accounts (username_key);
-- account_sessions lists each account's web sessions, by the token hash the
-- sessions table keys them by, so that an account can see its sessions and
-- end them. A row is written at sign-in, and last_seen_at moves at most
-- once a minute; rows whose session is gone are not listed and are swept
-- once expired.
CREATE TABLE account_sessions (
	token_hash   TEXT PRIMARY KEY,
	account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	user_agent   TEXT NOT NULL,
	ip           TEXT NOT NULL
);
CREATE INDEX account_sessions_account ON account_sessions (account_id);
