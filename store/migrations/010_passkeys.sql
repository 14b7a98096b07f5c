-- passkeys are an account's WebAuthn credentials. credential is the
-- credential record as JSON (its public key, sign count, flags);
-- user_handle is the random handle the account's passkeys carry, by which
-- a passkey sign-in without a username finds the account.
CREATE TABLE passkeys (
	id            {{.ID}},
	account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	credential_id {{.Bytes}} NOT NULL UNIQUE,
	user_handle   {{.Bytes}} NOT NULL,
	name          TEXT NOT NULL,
	credential    {{.Bytes}} NOT NULL,
	created_at    BIGINT NOT NULL,
	last_used_at  BIGINT
);
CREATE INDEX passkeys_account ON passkeys (account_id);
CREATE INDEX passkeys_user_handle ON passkeys (user_handle);
