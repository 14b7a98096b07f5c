-- The time zone an account's mails write times in: an IANA name such as
-- "Europe/Berlin", or "" for UTC.
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT ''
