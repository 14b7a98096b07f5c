-- Notices: an account's address for email notices and its webhook
-- endpoints, and the outbox of deliveries to them.
--
-- accounts.notices is set while the account has a confirmed notice address
-- or an enabled webhook: the writes that may cause a notice read it along
-- with the row they change, so that an owner without notices pays no more
-- than that. links.notify is the owner's "notify me" choice of the link,
-- for email; links.expiry_noticed is set once the sweep has looked at a
-- link that expired unopened.
ALTER TABLE accounts ADD COLUMN notices BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE links ADD COLUMN notify BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE links ADD COLUMN expiry_noticed BOOLEAN NOT NULL DEFAULT FALSE;

-- notice_addresses holds an account's notice address, once confirmed, and
-- the one waiting for confirmation with the SHA-256 of its single-use
-- confirmation token.
CREATE TABLE notice_addresses (
	account_id         BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	address            TEXT NOT NULL DEFAULT '',
	confirmed_at       BIGINT,
	pending_address    TEXT NOT NULL DEFAULT '',
	pending_hash       {{.Bytes}},
	pending_expires_at BIGINT
);

-- webhooks are an account's endpoints. events is the set of event types,
-- written ",link.opened,link.revoked," so that one is found with LIKE.
-- secret is the signing key (the part after whsec_); the endpoint must have
-- it too, so it cannot be kept hashed. disabled_at is set when the
-- endpoint answered 410 Gone.
CREATE TABLE webhooks (
	id          {{.ID}},
	account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	url         TEXT NOT NULL,
	events      TEXT NOT NULL,
	secret      {{.Bytes}} NOT NULL,
	created_at  BIGINT NOT NULL,
	disabled_at BIGINT
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

-- notice_deliveries is the outbox: one row for each notice to each target
-- (a webhook, or the account's address), written in the transaction of
-- the change that caused it. status is pending until delivered or given
-- up (failed). A worker takes a row by setting leased_until; another may
-- take it only once that has passed. body is fixed at the first attempt,
-- so that every retry sends the same message.
CREATE TABLE notice_deliveries (
	id            {{.ID}},
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
	delivered_at  BIGINT
);
CREATE INDEX notice_deliveries_due ON notice_deliveries (status, next_at);
CREATE INDEX notice_deliveries_webhook ON notice_deliveries (webhook_id, id);

-- notice_attempts records each try of a delivery.
CREATE TABLE notice_attempts (
	id          {{.ID}},
	delivery_id BIGINT NOT NULL REFERENCES notice_deliveries (id) ON DELETE CASCADE,
	at          BIGINT NOT NULL,
	code        INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notice_attempts_delivery ON notice_attempts (delivery_id, id)
;
-- The sweep looks for links that expired unopened among those it has not
-- looked at yet.
CREATE INDEX links_expiry_notice ON links (expires_at) WHERE NOT expiry_noticed
