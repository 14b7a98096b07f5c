-- links_expires served no query: the sweep looks for dead links with
-- conditions that no single index serves, and every other question about
-- expiry is one owner's (links_owner_expiry) or the expiry notices'
-- (links_expiry_notice). Each new link paid for keeping it.
DROP INDEX IF EXISTS links_expires
