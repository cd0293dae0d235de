-- Review: named versions, which participant owns each Yjs client id, comment threads.
-- Same schema for SQLite and PostgreSQL except the byte type (BLOB / BYTEA).

-- A version is immutable and complete: the full Yjs state (one v1 update),
-- the neutral tree (JSON) and its Markdown, so it renders without the live
-- document. No statement updates or deletes a row here.
CREATE TABLE document_versions (
    id              TEXT PRIMARY KEY,
    document_id     TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    number          BIGINT NOT NULL,                -- 1.. per document, from document_version_counters
    name            TEXT NOT NULL,
    note            TEXT,
    auto            BOOLEAN NOT NULL,
    created_by      TEXT REFERENCES users(id),      -- NULL for automatic versions
    created_by_side TEXT CHECK (created_by_side IN ('employer', 'union', 'neutral')),
    created_at      BIGINT NOT NULL,
    up_to_seq       BIGINT NOT NULL,                -- the update log seq the state covers
    restored_from   TEXT REFERENCES document_versions(id),
    sha256          TEXT NOT NULL,                  -- hex SHA-256 of markdown
    words           BIGINT NOT NULL,
    -- state, tree and markdown are stored deflated (raw DEFLATE, RFC 1951): a
    -- 30,000-word version is ~0.9 MB plain and a roundtable keeps many.
    state           BLOB NOT NULL,
    tree            BLOB NOT NULL,
    markdown        BLOB NOT NULL
);
-- Unique numbers per document; DESC so the newest-first listing reads it in order.
CREATE UNIQUE INDEX document_versions_number ON document_versions(document_id, number DESC);

-- The last version number handed out per document. Bumped by an upsert at
-- the start of the inserting transaction, which serialises concurrent
-- inserts on this row only (not on the documents row that appends lock).
CREATE TABLE document_version_counters (
    document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    last_number BIGINT NOT NULL
);

-- Which participant each Yjs client id belongs to, as first seen by the
-- server. Kept apart from the update log, so compaction cannot lose it.
CREATE TABLE document_clients (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    client_id   BIGINT NOT NULL,                    -- the u64 client id, bit-cast to i64
    user_id     TEXT NOT NULL REFERENCES users(id),
    side        TEXT NOT NULL CHECK (side IN ('employer', 'union', 'neutral')),
    first_seen  BIGINT NOT NULL,
    PRIMARY KEY (document_id, client_id)
);

-- Threads (parent_id NULL, anchored) and their replies (one level deep).
-- Deleting is soft: the row stays with deleted = TRUE and an empty body, so a
-- thread with replies keeps its place.
CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    document_id  TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    parent_id    TEXT REFERENCES comments(id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users(id),
    author_side  TEXT NOT NULL CHECK (author_side IN ('employer', 'union', 'neutral')),
    body         TEXT NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    anchor_start BLOB,                              -- Y.encodeRelativePosition bytes
    anchor_end   BLOB,
    quote        TEXT,                              -- the last non-empty text between the anchors
    version_id   TEXT REFERENCES document_versions(id),
    resolved     BOOLEAN NOT NULL DEFAULT FALSE,
    resolved_by  TEXT REFERENCES users(id),
    resolved_at  BIGINT,
    created_at   BIGINT NOT NULL,
    edited_at    BIGINT
);
CREATE INDEX comments_document ON comments(document_id, created_at);
CREATE INDEX comments_parent ON comments(parent_id, created_at);
