-- username_key is an account's name as it is looked up: case-mapped and
-- normalised by PRECIS (RFC 8265, UsernameCaseMapped), so that "Bob" and
-- "bob" are one name. It is filled for existing accounts when the store
-- opens (see fillUsernameKeys), which refuses to go on when two of them
-- clash, so it stays NULL here.
ALTER TABLE accounts ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX accounts_by_username_key ON accounts (username_key);
