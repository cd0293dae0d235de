-- Polls, their options and ballots (open and secret); live audience sessions.
-- Same schema for SQLite and PostgreSQL: ids are UUID text, times Unix seconds,
-- every integer BIGINT so one Rust type (i64) reads it on both backends.

CREATE TABLE polls (
    id            TEXT PRIMARY KEY,
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id) ON DELETE CASCADE,
    question      TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'rating', 'ranking', 'text')),
    max_choices   BIGINT,                        -- multiple choice only
    scale_min     BIGINT,                        -- rating only
    scale_max     BIGINT,
    secret        BOOLEAN NOT NULL,
    audience      BOOLEAN NOT NULL,
    results       TEXT NOT NULL CHECK (results IN ('live', 'on_close', 'hidden')),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    opened_at     BIGINT,
    closed_at     BIGINT
);
CREATE INDEX polls_roundtable ON polls(roundtable_id, created_at);

CREATE TABLE poll_options (
    id       TEXT PRIMARY KEY,
    poll_id  TEXT NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,                    -- 0-based display order
    label    TEXT NOT NULL,
    UNIQUE (poll_id, position)
);

-- A conference audience joins a roundtable's live session with a short code.
CREATE TABLE live_sessions (
    id            TEXT PRIMARY KEY,
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id) ON DELETE CASCADE,
    join_code     TEXT NOT NULL UNIQUE,          -- never reused, so an old code never admits to a new session
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    ended_at      BIGINT
);
-- At most one active live session per roundtable.
CREATE UNIQUE INDEX live_sessions_one_active ON live_sessions(roundtable_id) WHERE ended_at IS NULL;

CREATE TABLE audience_members (
    id              TEXT PRIMARY KEY,
    live_session_id TEXT NOT NULL REFERENCES live_sessions(id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the random cookie token
    display_name    TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX audience_members_session ON audience_members(live_session_id);

-- Ballots of non-secret polls: one row per voter, enforced by the primary key.
-- voter_key is 'user:<user id>' or 'audience:<audience member id>'. A change of
-- vote is one INSERT ... ON CONFLICT (poll_id, voter_key) DO UPDATE.
-- The choice is stored in the row itself (not in a child table) so that
-- casting and changing a vote stay one atomic statement on both backends:
-- `choices` holds option ids joined by ',' (UUIDs contain no comma), in
-- option order for single/multiple and preference order for ranking.
CREATE TABLE ballots (
    poll_id            TEXT NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    voter_key          TEXT NOT NULL,
    user_id            TEXT REFERENCES users(id) ON DELETE CASCADE,
    audience_member_id TEXT REFERENCES audience_members(id) ON DELETE CASCADE,
    side               TEXT CHECK (side IN ('employer', 'union', 'neutral')),  -- the voter's side when cast; NULL for the audience
    choices            TEXT,
    rating             BIGINT,
    text               TEXT,
    cast_at            BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    revision           BIGINT NOT NULL DEFAULT 1,  -- 1 for the first ballot, +1 per change
    PRIMARY KEY (poll_id, voter_key),
    CHECK ((user_id IS NULL) <> (audience_member_id IS NULL))
);

-- Secret polls: who voted and what was voted are stored apart. poll_voters
-- keeps one-ballot-per-voter; anonymous_ballots has a random id, no voter
-- column and no timestamp, so no column links a ballot to its voter. Both are
-- written in one transaction. A secret ballot cannot be changed once cast:
-- nothing records which anonymous ballot was whose.
-- SQLite only: WITHOUT ROWID, because an implicit rowid counts up in insertion
-- order and the n-th voter would line up with the n-th ballot. (The only
-- difference from the PostgreSQL schema.)
CREATE TABLE poll_voters (
    poll_id   TEXT NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    voter_key TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter_key)
) WITHOUT ROWID;

CREATE TABLE anonymous_ballots (
    id      TEXT PRIMARY KEY,                    -- random UUID v4, so key order says nothing of insertion order
    poll_id TEXT NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    side    TEXT CHECK (side IN ('employer', 'union', 'neutral')),
    choices TEXT,
    rating  BIGINT,
    text    TEXT
) WITHOUT ROWID;
CREATE INDEX anonymous_ballots_poll ON anonymous_ballots(poll_id);
