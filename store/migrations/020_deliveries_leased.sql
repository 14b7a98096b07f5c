-- The deliveries being sent: a worker leases nothing more for their
-- targets, and asks which they are at every lease.
CREATE INDEX notice_deliveries_leased ON notice_deliveries (leased_until) WHERE status = 'pending' AND leased_until IS NOT NULL
