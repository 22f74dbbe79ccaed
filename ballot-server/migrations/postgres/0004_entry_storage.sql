-- An entry's body is JSON whose bulk is base64url of curve points and scalars (about 8.8 kB per
-- ballot): it compresses poorly, and compressing it (pglz) took about a third of PostgreSQL's CPU
-- time under a casting load (BENCHMARKS.md). Bodies are stored out of line without compression.
-- This changes how new rows are stored, not what they hold: `body` still returns the same bytes.
ALTER TABLE board_entries ALTER COLUMN body SET STORAGE EXTERNAL;
