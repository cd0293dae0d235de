-- Polls follow an agenda: one order per roundtable, set by the facilitator
-- and used by every listing (roundtable page, presenter, event socket).
-- Existing polls keep the order they had, oldest first; new polls go last.
-- Not unique: a reorder rewrites every position of the roundtable in one
-- transaction, and ties (never made by the store) fall back to created_at, id.
ALTER TABLE polls ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE polls SET position = (
    SELECT COUNT(*) FROM polls earlier
    WHERE earlier.roundtable_id = polls.roundtable_id
      AND (earlier.created_at < polls.created_at
           OR (earlier.created_at = polls.created_at AND earlier.id < polls.id))
);
CREATE INDEX polls_agenda ON polls(roundtable_id, position);
