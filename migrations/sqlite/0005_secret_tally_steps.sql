-- The last live figure an open secret poll published (accord-domain's
-- polls::secrecy): a new one only once at least k more ballots are in, so
-- no two published figures differ by fewer than k ballots. Every node and
-- every REST read shows this row while the poll is open.
CREATE TABLE secret_tally_steps (
    poll_id TEXT PRIMARY KEY REFERENCES polls(id) ON DELETE CASCADE,
    ballots BIGINT NOT NULL,
    tally   TEXT NOT NULL
);
