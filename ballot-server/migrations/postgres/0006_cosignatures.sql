-- The witnesses' cosignatures of the board's checkpoints (c2sp.org/tlog-cosignature,
-- cosignature/v1), verified under the manifest's key for the witness before they are stored
-- (ballot-server/src/witnessing.rs; spec/api.md §10). One row per election, tree size and
-- witness name.
CREATE TABLE cosignatures (
    election_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    witness TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (election_id, size, witness)
);
