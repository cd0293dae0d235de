-- Q&A: the audience and participants ask, everyone upvotes, facilitators moderate.
CREATE TABLE questions (
    id            TEXT PRIMARY KEY,
    roundtable_id TEXT NOT NULL REFERENCES roundtables(id) ON DELETE CASCADE,
    author_key    TEXT NOT NULL,                 -- 'user:<id>' or 'audience:<id>'; never shown
    author_name   TEXT,                          -- shown; NULL asks anonymously
    text          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'hidden', 'answered')),
    votes         BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);
CREATE INDEX questions_roundtable ON questions(roundtable_id, created_at);

-- One upvote per person per question, enforced by the key.
CREATE TABLE question_votes (
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    voter_key   TEXT NOT NULL,
    PRIMARY KEY (question_id, voter_key)
);
