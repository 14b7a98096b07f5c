-- rate_limits holds the rate limiters' buckets where several instances share
-- them. A bucket is one row: the time, in Unix milliseconds, at which it is
-- full again if nothing more is taken from it (the generic cell rate
-- algorithm's "theoretical arrival time"). Losing the table in a crash only
-- refills the buckets, so on PostgreSQL it skips the write-ahead log.
CREATE {{.Unlogged}} TABLE rate_limits (
	bucket  {{.Bytes}} PRIMARY KEY,
	full_at BIGINT NOT NULL
);
