-- The hashes of the ciphertexts of each election's ballots (Ballot::ciphertexts_hash), cast or
-- audited, kept by the board's writer in the ballots' own transactions
-- (ballot-server/src/board/ciphertexts.rs): it refuses a cast ballot whose ciphertexts are an
-- audited ballot's, whose opening is public, and an audited ballot whose ciphertexts are a cast
-- ballot's (spec/verification.md V6.3, spec/api.md §4.4). One row per election and ciphertexts,
-- with the kind and entry of the first ballot that has them: the key lets no ciphertexts be
-- both cast and audited.
CREATE TABLE ballot_ciphertexts (
    election_id TEXT NOT NULL,
    digest BLOB NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cast', 'audited')),
    idx BIGINT NOT NULL,
    PRIMARY KEY (election_id, digest)
);

-- The elections with ballots from before this table: the server computes their rows from their
-- entries before it appends anything to them, and then deletes them from this list.
CREATE TABLE ballot_ciphertexts_backfill (
    election_id TEXT PRIMARY KEY
);
INSERT INTO ballot_ciphertexts_backfill (election_id)
    SELECT election_id FROM cast_ballots UNION SELECT election_id FROM audited_ballots;
