-- requests are "send me a secret" links: an owner asks, anyone holding the
-- request's token (kept only as its SHA-256) fills it once. Filling makes a
-- one-use link of the owner's, link_id, whose token is kept in link_token
-- sealed under the request's token, which the database does not have. A
-- NULL fulfilled_at is still waiting, a NULL revoked_at is not revoked.
CREATE TABLE requests (
	id           {{.ID}},
	owner_id     BIGINT NOT NULL REFERENCES accounts (id),
	token_hash   {{.Bytes}} NOT NULL UNIQUE,
	label        TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	accepts      TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	revoked_at   BIGINT,
	fulfilled_at BIGINT,
	link_id      BIGINT REFERENCES links (id) ON DELETE SET NULL,
	link_token   {{.Bytes}}
);
CREATE INDEX requests_owner ON requests (owner_id, id);
