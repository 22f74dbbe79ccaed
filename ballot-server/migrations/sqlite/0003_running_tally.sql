-- The running encrypted tally of each election's counted ballots, kept by the board's writer in
-- the same transactions that append the ballots (ballot-server/src/board/log.rs), so that
-- closing the vote has nothing left to add up. It is an index over the board like the other
-- tables: the tally entry it gives is checked by every verifier (V8).
CREATE TABLE running_tallies (
    election_id TEXT PRIMARY KEY,
    -- Per option, in ballot order: the encodings of Σα and Σβ, 32 bytes each.
    sums BLOB NOT NULL,
    -- The ballots added up (one per credential).
    counted BIGINT NOT NULL
);
