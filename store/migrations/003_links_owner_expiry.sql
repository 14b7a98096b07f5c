-- links_owner_expiry lets a live dashboard find its owner's next link to
-- expire without reading the owner's other links. The file was numbered 002
-- once, so a database may hold the index already under that name.
CREATE INDEX IF NOT EXISTS links_owner_expiry ON links (owner_id, expires_at);
