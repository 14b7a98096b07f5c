-- e2e_check marks an end-to-end link: its content is ciphertext made by the
-- sender's client, and the column holds the SHA-256 of the claim that the
-- recipient's client derives from the key in the link's fragment. An open
-- must present that claim; the server never has the key. NULL for a link
-- sealed by the server.
ALTER TABLE links ADD COLUMN e2e_check {{.Bytes}};
