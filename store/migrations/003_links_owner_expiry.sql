-- links_owner_expiry lets a live dashboard find its owner's next link to
-- expire without reading the owner's other links.
CREATE INDEX links_owner_expiry ON links (owner_id, expires_at);
