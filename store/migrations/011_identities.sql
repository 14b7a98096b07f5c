-- identities link accounts to an OpenID provider's users: an account signs
-- in with single sign-on when the provider vouches for its (issuer,
-- subject), and only then; an email address or a name never links one.
-- email is what the provider last said, for the accounts page.
CREATE TABLE identities (
	issuer       TEXT NOT NULL,
	subject      TEXT NOT NULL,
	account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	email        TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL,
	PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_account ON identities (account_id);
