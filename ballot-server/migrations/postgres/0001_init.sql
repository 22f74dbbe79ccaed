-- Piaojue ballot server, PostgreSQL schema. The bulletin board (board_entries, tree_heads) is the
-- authority; the other tables are indexes over it, written in the same transactions.

CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE staff_tokens (
    token_hash TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE elections (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    manifest TEXT NOT NULL,
    fingerprint TEXT,
    parent TEXT,
    created_ms BIGINT NOT NULL,
    log_size BIGINT NOT NULL DEFAULT 0,
    lock_version BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE board_entries (
    election_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    kind TEXT NOT NULL,
    body BYTEA NOT NULL,
    leaf_hash BYTEA NOT NULL,
    PRIMARY KEY (election_id, idx)
);

CREATE TABLE tree_heads (
    election_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (election_id, size)
);

CREATE TABLE ceremony_messages (
    election_id TEXT NOT NULL,
    round TEXT NOT NULL,
    teller BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (election_id, round, teller)
);

CREATE TABLE credentials (
    election_id TEXT NOT NULL,
    credential BYTEA NOT NULL,
    PRIMARY KEY (election_id, credential)
);

CREATE TABLE cast_ballots (
    election_id TEXT NOT NULL,
    credential BYTEA NOT NULL,
    tracking_code BYTEA NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (election_id, idx)
);
CREATE INDEX cast_ballots_credential ON cast_ballots (election_id, credential);
CREATE UNIQUE INDEX cast_ballots_tracking_code ON cast_ballots (election_id, tracking_code);

CREATE TABLE receipts (
    election_id TEXT NOT NULL,
    tracking_code BYTEA NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (election_id, tracking_code)
);

CREATE TABLE roll (
    election_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (election_id, position)
);

CREATE TABLE audited_ballots (
    election_id TEXT NOT NULL,
    tracking_code BYTEA NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (election_id, tracking_code)
);
