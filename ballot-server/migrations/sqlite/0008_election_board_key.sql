-- Each election's board key (issue 17, key rotation): the public key (base64url) that signs the
-- election's tree heads, receipts and checkpoints, the one its manifest names (`board.key`).
-- `server_keys.board_public_key` stays the key of new elections; `piaojue board-key rotate`
-- changes it, and the elections made before keep theirs. The elections already made were all
-- signed by the one key the database records.
ALTER TABLE elections ADD COLUMN board_key TEXT;
UPDATE elections SET board_key = (SELECT value FROM server_keys WHERE name = 'board_public_key');
