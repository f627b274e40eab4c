-- A recognition session is closed when its pipeline stops cleanly, after
-- writing its last counts. One never closed stopped without them (a crash,
-- kill -9): the figures say how many. Sessions from before this step are
-- marked -1, unknown.
ALTER TABLE recognition_sessions ADD COLUMN closed_ms BIGINT;
UPDATE recognition_sessions SET closed_ms = -1;
