-- Agreement: both sides formally agree one exact version; and the
-- roundtable's audit trail, a hash chain. Same schema for SQLite and
-- PostgreSQL except the append-only triggers' syntax.

-- An agreement on one version. The electorate is fixed when it opens
-- (agreement_electorate); only an open agreement takes positions, and at
-- most one per document is open (the partial unique index).
CREATE TABLE agreements (
    id                  TEXT PRIMARY KEY,
    roundtable_id       TEXT NOT NULL REFERENCES roundtables(id),
    document_id         TEXT NOT NULL REFERENCES documents(id),
    version_id          TEXT NOT NULL REFERENCES document_versions(id),
    sha256              TEXT NOT NULL,              -- the version's, copied when proposed
    quorum              TEXT NOT NULL CHECK (quorum IN ('one', 'majority', 'all')),
    objections_block    BOOLEAN NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('open', 'agreed', 'expired', 'withdrawn', 'superseded')),
    electorate_employer BIGINT NOT NULL,
    electorate_union    BIGINT NOT NULL,
    proposed_by         TEXT NOT NULL REFERENCES users(id),
    created_at          BIGINT NOT NULL,
    closes_at           BIGINT,
    decided_at          BIGINT,                     -- when it left `open`
    seal                TEXT,                       -- hex SHA-256, once agreed
    superseded_by       TEXT
);
CREATE UNIQUE INDEX agreements_one_open ON agreements(document_id) WHERE state = 'open';
CREATE INDEX agreements_roundtable ON agreements(roundtable_id, created_at);
CREATE INDEX agreements_version ON agreements(version_id);
CREATE INDEX agreements_closing ON agreements(closes_at) WHERE state = 'open';

-- Who may take a position, and for which side, as it was when the agreement opened.
CREATE TABLE agreement_electorate (
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    side         TEXT NOT NULL CHECK (side IN ('employer', 'union')),
    PRIMARY KEY (agreement_id, user_id)
);

-- Each voter's standing position (the audit log keeps every change).
CREATE TABLE agreement_positions (
    agreement_id TEXT NOT NULL REFERENCES agreements(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    side         TEXT NOT NULL CHECK (side IN ('employer', 'union')),
    position     TEXT NOT NULL CHECK (position IN ('endorse', 'object', 'abstain')),
    reason       TEXT,
    at           BIGINT NOT NULL,
    PRIMARY KEY (agreement_id, user_id)
);

-- The audit trail: per roundtable, seq 1.. without gaps; hash = SHA-256
-- over prev_hash and the entry (accord_domain::audit::entry_hash). Written
-- in the transaction of the act it records; never updated or deleted.
CREATE TABLE audit_log (
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id),
    seq           BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    actor_id      TEXT,                             -- NULL: the system
    actor_side    TEXT CHECK (actor_side IN ('employer', 'union', 'neutral')),
    action        TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    detail        TEXT NOT NULL,                    -- a small JSON object, hashed as stored
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (roundtable_id, seq)
);

-- The last entry of each roundtable's chain. Bumped by an upsert first in
-- the appending transaction, which serialises appends per roundtable; also
-- what tells `audit verify` that no entry was cut off the end.
CREATE TABLE audit_heads (
    roundtable_id TEXT PRIMARY KEY REFERENCES roundtables(id),
    seq           BIGINT NOT NULL,
    hash          TEXT NOT NULL
);

-- A poll may name what it decides: a version, or a passage (a comment thread).
ALTER TABLE polls ADD COLUMN subject_version_id TEXT REFERENCES document_versions(id);
ALTER TABLE polls ADD COLUMN subject_document_id TEXT REFERENCES documents(id);
ALTER TABLE polls ADD COLUMN subject_comment_id TEXT REFERENCES comments(id);

-- Append-only for real: the store has no UPDATE or DELETE for the log, and
-- this trigger refuses one (and TRUNCATE) from anywhere else.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
