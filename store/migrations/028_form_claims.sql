-- form_claims keeps the keys of the forms that show something once, or
-- could not be done twice alike, and make no row that could keep the key
-- as an idempotency key does (006, 027): a new API key, new recovery
-- codes, a webhook endpoint's new secret, a password change, an
-- administrator's password reset. The first sending of such a form claims
-- its key, unique per account, so that the same form sent again, at the
-- same moment or later, on any instance, does nothing. settled_at is NULL
-- while the first sending acts: another sending at the same moment waits
-- for its outcome rather than say it was done, as the first may yet fail
-- and give its key back. claimed_at lets the sweep drop claims once no
-- form that carries them can still be sent.
CREATE TABLE form_claims (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	form_key   TEXT NOT NULL,
	claimed_at BIGINT NOT NULL,
	settled_at BIGINT,
	PRIMARY KEY (account_id, form_key)
);
CREATE INDEX form_claims_claimed_at ON form_claims (claimed_at)
