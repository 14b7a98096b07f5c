-- content_kept_until keeps a link's content past its grant window while a
-- download that began within it is still reading: the sweep deletes the
-- content only once both have passed.
ALTER TABLE links ADD COLUMN content_kept_until BIGINT
