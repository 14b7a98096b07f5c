-- unsubscribe_nonce is drawn anew each time an account confirms a notice
-- address, and an unsubscribe link's tag covers it: the links of the mails
-- sent before the address was set again stop nothing. NULL for an address
-- confirmed before it was kept, whose links stay as they were until then.
ALTER TABLE notice_addresses ADD COLUMN unsubscribe_nonce {{.Bytes}}
