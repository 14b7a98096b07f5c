-- idempotency_key is the one-time key of the form that made a link, unique
-- per owner: the same form sent twice (a reload of the page that answered
-- it, a second click) makes one link. NULL for a link made without one.
ALTER TABLE links ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX links_owner_idempotency_key ON links (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
