-- Accounts, sessions, roundtables, participants, invitations.
-- Ids are UUID text; times are Unix seconds (BIGINT) so both backends share one schema.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,          -- normalised to lower case
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,               -- hex SHA-256 of the cookie token
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE roundtables (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    theme       TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE participants (
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    side          TEXT NOT NULL CHECK (side IN ('employer', 'union', 'neutral')),
    role          TEXT NOT NULL CHECK (role IN ('facilitator', 'member', 'observer')),
    organisation  TEXT NOT NULL,
    joined_at     BIGINT NOT NULL,
    PRIMARY KEY (roundtable_id, user_id)
);
CREATE INDEX participants_user ON participants(user_id);

CREATE TABLE invitations (
    token_hash    TEXT PRIMARY KEY,              -- hex SHA-256 of the link token
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id) ON DELETE CASCADE,
    side          TEXT NOT NULL CHECK (side IN ('employer', 'union', 'neutral')),
    role          TEXT NOT NULL CHECK (role IN ('facilitator', 'member', 'observer')),
    single_use    BOOLEAN NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT,
    used_by       TEXT REFERENCES users(id)
);
CREATE INDEX invitations_roundtable ON invitations(roundtable_id);
