-- Requests and webhook endpoints take an idempotency key as links do (006):
-- the key of the create that made the row, unique per owner, so that a
-- create sent again after its answer was lost makes nothing. NULL for one
-- made without a key.
ALTER TABLE requests ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX requests_owner_idempotency_key ON requests (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE webhooks ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX webhooks_account_idempotency_key ON webhooks (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL
