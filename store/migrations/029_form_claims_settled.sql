-- A form's claim (028) is settled once what the form did is done: until
-- then another sending of the same form, at the same moment, waits for
-- the first one's outcome rather than say it was done, as the first may
-- yet fail and give its key back. NULL while the first sending acts. The
-- claims made before were settled, or given back, long ago.
ALTER TABLE form_claims ADD COLUMN settled_at BIGINT;
UPDATE form_claims SET settled_at = claimed_at
