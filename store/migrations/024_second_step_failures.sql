-- second_step_failures counts an account's wrong second-step codes in a
-- row (authenticator-app and recovery codes, from any browser and any
-- instance), each counted as its try begins, in the write that checks
-- whether the try must wait: last_at is when the last one was. A right
-- code, or a reset of the account's second factors, deletes the row.
-- notified is set once its owner was told of this run of wrong codes.
CREATE TABLE second_step_failures (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	failures   INTEGER NOT NULL,
	last_at    BIGINT NOT NULL,
	notified   BOOLEAN NOT NULL DEFAULT FALSE
);

-- failures is, for a notice of wrong second-step codes, how many came in a
-- row when it was written; 0 for any other notice.
ALTER TABLE notice_deliveries ADD COLUMN failures INTEGER NOT NULL DEFAULT 0
