-- passkeys.cloned_at is when an answer of the passkey came with a
-- signature counter no higher than the one it had given before, which
-- WebAuthn takes as a sign that the passkey was copied: from then on it
-- signs nobody in, and the settings page tells its owner to remove it.
-- NULL for a passkey never found so.
ALTER TABLE passkeys ADD COLUMN cloned_at BIGINT
