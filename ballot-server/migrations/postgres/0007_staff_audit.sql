-- The staff audit trail (ballot-server/src/audit.rs; spec/api.md §7.8): one row per write a
-- valid staff token made, with who (the token's id, the first 12 hex digits of its SHA-256,
-- and its label; never the token), what, on which election or object, from which client
-- address (after --trusted-proxy), when, and what came of it.
CREATE TABLE staff_audit (
    id BIGSERIAL PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    token_id TEXT NOT NULL,
    staff_label TEXT NOT NULL,
    action TEXT NOT NULL,
    election_id TEXT,
    object_id TEXT,
    client TEXT NOT NULL,
    status BIGINT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX staff_audit_election ON staff_audit (election_id, id);
