-- A webhook's secret may be rotated: the secret it replaced goes on
-- signing beside the new one (Standard Webhooks' two signatures in one
-- header) until previous_until, so that the endpoint's receiver can switch
-- without losing a message. Like secret, previous_secret is the signing
-- key itself, since the receiver must hold it too.
ALTER TABLE webhooks ADD COLUMN previous_secret {{.Bytes}};
ALTER TABLE webhooks ADD COLUMN previous_until BIGINT;

-- message_id is a delivery's webhook-id, fixed at its first attempt so that
-- every retry carries the same one even when the endpoint's secret is
-- rotated in between.
ALTER TABLE notice_deliveries ADD COLUMN message_id TEXT
