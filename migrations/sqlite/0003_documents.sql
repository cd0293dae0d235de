-- Co-drafted documents and their Yjs history.
-- Same schema for SQLite and PostgreSQL except the byte type (BLOB / BYTEA).
-- The update log is append-only per document; compaction folds a prefix of it
-- into a snapshot and deletes that prefix in one transaction.

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('programme', 'recommendation', 'notes')),
    archived      BOOLEAN NOT NULL DEFAULT FALSE,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    -- Highest seq ever handed out; never decreases, so seqs are never reused
    -- even after compaction has deleted every logged update.
    last_seq      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX documents_roundtable ON documents(roundtable_id, created_at);

CREATE TABLE document_updates (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    data        BLOB NOT NULL,                   -- one Yjs v1 update
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (document_id, seq)
);

CREATE TABLE document_snapshots (
    document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    up_to_seq   BIGINT NOT NULL,                -- covers every update with seq <= this
    data        BLOB NOT NULL,                   -- the full state as one Yjs v1 update
    created_at  BIGINT NOT NULL
);
