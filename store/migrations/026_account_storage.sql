-- accounts.storage_used is what the account's links keep: the sum of the
-- sizes of its links whose content is not deleted. Triggers on links keep
-- it, so that every write that makes a link, deletes its content (a
-- revoke, the sweep, deleting an account) or deletes it (the sweep's
-- purge) keeps it right, and a create reads it from one row rather than
-- summing the owner's links. A migration that rebuilds links must make
-- them again.
ALTER TABLE accounts ADD COLUMN storage_used BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET storage_used = (SELECT COALESCE(SUM(size), 0) FROM links
	WHERE links.owner_id = accounts.id AND links.content_deleted_at IS NULL);
{{if .SQLite}}
CREATE TRIGGER links_storage_insert AFTER INSERT ON links WHEN NEW.content_deleted_at IS NULL BEGIN
	UPDATE accounts SET storage_used = storage_used + NEW.size WHERE id = NEW.owner_id;
END;
CREATE TRIGGER links_storage_content_deleted AFTER UPDATE OF content_deleted_at ON links
	WHEN OLD.content_deleted_at IS NULL AND NEW.content_deleted_at IS NOT NULL BEGIN
	UPDATE accounts SET storage_used = storage_used - OLD.size WHERE id = OLD.owner_id;
END;
CREATE TRIGGER links_storage_delete AFTER DELETE ON links WHEN OLD.content_deleted_at IS NULL BEGIN
	UPDATE accounts SET storage_used = storage_used - OLD.size WHERE id = OLD.owner_id;
END
{{else}}
CREATE FUNCTION links_storage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.content_deleted_at IS NULL THEN
			UPDATE accounts SET storage_used = storage_used + NEW.size WHERE id = NEW.owner_id;
		END IF;
	ELSIF OLD.content_deleted_at IS NULL AND (TG_OP = 'DELETE' OR NEW.content_deleted_at IS NOT NULL) THEN
		UPDATE accounts SET storage_used = storage_used - OLD.size WHERE id = OLD.owner_id;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER links_storage AFTER INSERT OR DELETE OR UPDATE OF content_deleted_at ON links
	FOR EACH ROW EXECUTE FUNCTION links_storage()
{{end}}
